// deepseek2 forward pass: MLA attention (absorbed up-projections over the latent cache) and MoE.
#include "model/deepseek2_model.h"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/norm.h"
#include "model/batch_plan.h"
#include "model/embedding.h"
#include "model/model_info.h"
#include "model/output_head.h"
#include "model/weight_binder.h"
#include "tensor/quantize.h"

namespace dsinfer::model {

namespace {

std::string blk(int64_t layer, const char* name) {
  return "blk." + std::to_string(layer) + "." + name;
}

void grow(std::vector<float>& v, int64_t size) {
  if (v.size() < static_cast<size_t>(size)) v.resize(static_cast<size_t>(size));
}

int64_t weight_bytes(const kernels::WeightView& w) {
  return w.data == nullptr ? 0 : static_cast<int64_t>(w.row_stride) * w.n_out;
}

ArchitectureFacts read_deepseek2_facts(const gguf::GgufFile& file, const std::string&) {
  const Deepseek2Hparams hp = read_deepseek2_hparams(file);
  // One "K" row (latent + RoPE key) per token and layer, no V row (as the pool below).
  return {KvBlockPool::bytes_per_token_for(hp.base.n_layer, hp.kv_row_elems(), 0),
          hp.base.n_ctx_train};
}

std::unique_ptr<Model> create_deepseek2(std::shared_ptr<const gguf::GgufFile> file,
                                        const std::string&, const ModelOptions& options,
                                        kernels::ExecContext& ctx) {
  return std::make_unique<Deepseek2Model>(std::move(file), options, ctx);
}

}  // namespace

const Architecture kDeepseek2Architecture{"deepseek2", read_deepseek2_facts, create_deepseek2};

Deepseek2Model::Deepseek2Model(std::shared_ptr<const gguf::GgufFile> file,
                               const ModelOptions& options, kernels::ExecContext& ctx)
    : file_(std::move(file)),
      ctx_(ctx),
      repacker_(options.repack_weights, file_->is_file_mapped(), ctx),
      hp_(read_deepseek2_hparams(*file_)),
      scales_(make_deepseek2_scales(hp_)),
      routing_(make_moe_routing(hp_)) {
  bind_weights();
  repack_weights();
  if (options.kv_block_size <= 0) {
    fail(ErrorKind::kInvalidInput, "KV block size {} must be > 0", options.kv_block_size);
  }
  ctx_size_ = options.ctx_size > 0 ? options.ctx_size : hp_.base.n_ctx_train;
  const int64_t n_blocks = options.kv_blocks > 0
                               ? options.kv_blocks
                               : (ctx_size_ + options.kv_block_size - 1) / options.kv_block_size;
  // One "K" row per token and layer: latent + RoPE key; the values are the latent part of it.
  kv_ = std::make_unique<KvBlockPool>(hp_.base.n_layer, n_blocks, options.kv_block_size,
                                      hp_.kv_row_elems(), 0);

  info_ = describe_model(*file_, "deepseek2");
  info_.n_vocab = hp_.base.n_vocab;
  info_.n_ctx_train = hp_.base.n_ctx_train;
  info_.kv_bytes_per_token = kv_->bytes_per_token();
  int64_t bytes = weight_bytes(output_);
  for (const auto& l : layers_) {
    for (const auto* w :
         {&l.wq, &l.wq_a, &l.wq_b, &l.wkv_a, &l.wo, &l.dense.gate, &l.dense.up, &l.dense.down,
          &l.moe.router, &l.moe.shared.gate, &l.moe.shared.up, &l.moe.shared.down}) {
      bytes += weight_bytes(*w);
    }
    for (const auto& w : l.wk_b) bytes += weight_bytes(w);
    for (const auto& w : l.wv_b) bytes += weight_bytes(w);
    if (!l.moe.experts.empty()) {
      const auto& e = l.moe.experts[0];
      bytes +=
          hp_.n_expert_used * (weight_bytes(e.gate) + weight_bytes(e.up) + weight_bytes(e.down));
    }
  }
  info_.weight_bytes_per_token = bytes;
  spdlog::debug(
      "model: {} (deepseek2), {} layers ({} dense), n_embd {}, heads {}, kv_lora {}, rope {}, "
      "q_lora {}, experts {}/{} (+{} shared), KV pool {} blocks x {} tokens ({} bytes)",
      info_.name, hp_.base.n_layer, hp_.n_dense_lead, hp_.base.n_embd, hp_.base.n_head,
      hp_.kv_lora_rank, hp_.head_dim_rope, hp_.q_lora_rank, hp_.n_expert_used, hp_.n_expert,
      hp_.n_expert_shared, n_blocks, options.kv_block_size, kv_->total_bytes());
}

void Deepseek2Model::bind_weights() {
  const WeightBinder b(*file_);
  const int64_t n_embd = hp_.base.n_embd;
  const int64_t n_vocab = hp_.base.n_vocab;
  const int64_t n_head = hp_.base.n_head;

  const gguf::TensorInfo& emb = b.tensor("token_embd.weight", {n_embd, n_vocab});
  tensor::require_dequantizable(emb.type);
  token_embd_.type = emb.type;
  token_embd_.data = emb.data;
  token_embd_.n_in = n_embd;
  token_embd_.n_out = n_vocab;
  token_embd_.row_stride = tensor::row_bytes(tensor::dtype_info(emb.type), n_embd);
  output_norm_ = b.vector("output_norm.weight", n_embd);
  output_ = b.matrix_opt("output.weight", n_embd, n_vocab);
  if (output_.data == nullptr) output_ = b.matrix("token_embd.weight", n_embd, n_vocab);

  const int64_t q_dim = n_head * hp_.head_dim_qk();
  layers_.resize(static_cast<size_t>(hp_.base.n_layer));
  for (int64_t i = 0; i < hp_.base.n_layer; ++i) {
    Deepseek2LayerWeights& l = layers_[static_cast<size_t>(i)];
    l.attn_norm = b.vector(blk(i, "attn_norm.weight"), n_embd);
    if (hp_.q_lora_rank > 0) {
      l.wq_a = b.matrix(blk(i, "attn_q_a.weight"), n_embd, hp_.q_lora_rank);
      l.q_a_norm = b.vector(blk(i, "attn_q_a_norm.weight"), hp_.q_lora_rank);
      l.wq_b = b.matrix(blk(i, "attn_q_b.weight"), hp_.q_lora_rank, q_dim);
    } else {
      l.wq = b.matrix(blk(i, "attn_q.weight"), n_embd, q_dim);
    }
    l.wkv_a = b.matrix(blk(i, "attn_kv_a_mqa.weight"), n_embd, hp_.kv_row_elems());
    l.kv_a_norm = b.vector(blk(i, "attn_kv_a_norm.weight"), hp_.kv_lora_rank);
    bind_kv_up_projections(i, l);
    l.wo = b.matrix(blk(i, "attn_output.weight"), n_head * hp_.head_dim_v, n_embd);
    l.ffn_norm = b.vector(blk(i, "ffn_norm.weight"), n_embd);
    if (hp_.is_moe_layer(i)) {
      l.moe = bind_moe_weights(b, hp_, i);
    } else {
      l.dense.gate = b.matrix(blk(i, "ffn_gate.weight"), n_embd, hp_.base.n_ff);
      l.dense.up = b.matrix(blk(i, "ffn_up.weight"), n_embd, hp_.base.n_ff);
      l.dense.down = b.matrix(blk(i, "ffn_down.weight"), hp_.base.n_ff, n_embd);
    }
  }
}

void Deepseek2Model::repack_weights() {
  for (auto& l : layers_) {
    for (auto* w : {&l.wq, &l.wq_a, &l.wq_b, &l.wkv_a, &l.wo, &l.dense.gate, &l.dense.up,
                    &l.dense.down, &l.moe.shared.gate, &l.moe.shared.up, &l.moe.shared.down}) {
      repacker_.repack(*w);
    }
    for (auto& w : l.wk_b) repacker_.repack(w);
    for (auto& w : l.wv_b) repacker_.repack(w);
    for (auto& e : l.moe.experts) {
      for (auto* w : {&e.gate, &e.up, &e.down}) repacker_.repack(*w);
    }
  }
  repacker_.repack(output_);  // a copy when tied: token_embd_ keeps reading the file
  spdlog::debug("model: {} weights repacked into 8-row groups ({} bytes)", repacker_.packed_count(),
                repacker_.packed_bytes());
}

// NOTE: two layouts of the KV up-projection. Current files split it per head: attn_k_b
// [nope, kv_lora, heads] (absorbed into the query) and attn_v_b [kv_lora, v, heads]. Older files
// carry attn_kv_b [kv_lora, heads * (nope + v)], whose rows per head are nope key rows then v
// value rows: the value rows are used in place, the key rows are transposed once into F32.
void Deepseek2Model::bind_kv_up_projections(int64_t i, Deepseek2LayerWeights& l) {
  const WeightBinder b(*file_);
  const int64_t n_head = hp_.base.n_head;
  const int64_t nope = hp_.head_dim_nope;
  const int64_t lora = hp_.kv_lora_rank;
  const int64_t vd = hp_.head_dim_v;
  if (file_->find_tensor(blk(i, "attn_k_b.weight")) != nullptr ||
      file_->find_tensor(blk(i, "attn_kv_b.weight")) == nullptr) {
    l.wk_b = bind_slices(b, blk(i, "attn_k_b.weight"), nope, lora, n_head);
    l.wv_b = bind_slices(b, blk(i, "attn_v_b.weight"), lora, vd, n_head);
    return;
  }
  const kernels::WeightView kvb = b.matrix(blk(i, "attn_kv_b.weight"), lora, n_head * (nope + vd));
  l.wv_b.resize(static_cast<size_t>(n_head));
  l.wk_b.resize(static_cast<size_t>(n_head));
  l.wk_b_owned.assign(static_cast<size_t>(n_head * lora * nope), 0.0f);
  std::vector<float> row(static_cast<size_t>(lora));
  const auto* base = static_cast<const uint8_t*>(kvb.data);
  for (int64_t h = 0; h < n_head; ++h) {
    const int64_t first = h * (nope + vd);
    float* kt = l.wk_b_owned.data() + h * lora * nope;  // [lora rows of nope]
    for (int64_t r = 0; r < nope; ++r) {
      tensor::dequantize_row(kvb.type, base + (first + r) * kvb.row_stride, row.data(), lora);
      for (int64_t c = 0; c < lora; ++c) kt[c * nope + r] = row[static_cast<size_t>(c)];
    }
    auto& wk = l.wk_b[static_cast<size_t>(h)];
    wk.type = tensor::DType::kF32;
    wk.data = kt;
    wk.n_in = nope;
    wk.n_out = lora;
    wk.row_stride = static_cast<size_t>(nope) * sizeof(float);
    auto& wv = l.wv_b[static_cast<size_t>(h)];
    wv = kvb;
    wv.data = base + (first + nope) * kvb.row_stride;
    wv.n_out = vd;
  }
}

void Deepseek2Model::for_each_head(const std::function<void(int64_t, kernels::ExecContext&)>& fn) {
  ctx_.parallel_for(hp_.base.n_head, 1, [&](int64_t h0, int64_t h1, int thread) {
    kernels::ExecContext& one = ctx_.single_thread(thread);
    for (int64_t h = h0; h < h1; ++h) fn(h, one);
  });
}

// NOTE: MLA in its absorbed form, for prefill and decode alike (as the reference does for files
// with split k_b/v_b): per head, q_nope is multiplied by attn_k_b into the latent space, so each
// query head is [kv_lora + rope] and attends (one shared KV head, F16 cache) over the cached rows
// [latent | rope key]; the values are the latent part of the same rows; the per-head attention
// output (latent space) is projected by attn_v_b to the value head size before attn_output.
void Deepseek2Model::attention(const Deepseek2LayerWeights& l, int64_t il, int64_t n,
                               const std::vector<int64_t>& positions,
                               const std::vector<int64_t>& kv_block,
                               const std::vector<int64_t>& kv_slot,
                               std::vector<kernels::AttentionTask>& tasks) {
  const int64_t n_embd = hp_.base.n_embd;
  const int64_t n_head = hp_.base.n_head;
  const int64_t hk = hp_.head_dim_qk();
  const int64_t nope = hp_.head_dim_nope;
  const int64_t rope = hp_.head_dim_rope;
  const int64_t lora = hp_.kv_lora_rank;
  const int64_t kvw = hp_.kv_row_elems();
  const int64_t q_dim = n_head * hk;
  const int64_t qa_dim = n_head * kvw;
  const int64_t lat_dim = n_head * lora;
  const int64_t v_dim = n_head * hp_.head_dim_v;
  const float eps = hp_.base.rms_eps;

  // The projections of the layer input in one pass: the query (or its low-rank first half) and
  // the compressed KV [latent | rope key] per token.
  const bool low_rank_q = hp_.q_lora_rank > 0;
  if (low_rank_q) grow(qa_, n * hp_.q_lora_rank);
  const kernels::MatmulTarget inputs[] = {
      low_rank_q ? kernels::MatmulTarget{l.wq_a, qa_.data(), hp_.q_lora_rank}
                 : kernels::MatmulTarget{l.wq, q_.data(), q_dim},
      {l.wkv_a, kv_lat_.data(), kvw}};
  // cur: [n, n_embd] -> qa: [n, q_lora_rank] (or q: [n, n_head * (nope + rope)]),
  // kv_lat: [n, kv_lora_rank + rope]
  kernels::matmul_multi(inputs, cur_.data(), n_embd, n, ctx_);
  if (low_rank_q) {
    kernels::rms_norm(qa_.data(), hp_.q_lora_rank, n, hp_.q_lora_rank, l.q_a_norm.data(), eps,
                      qa_.data(), hp_.q_lora_rank);
    kernels::matmul(l.wq_b, qa_.data(), hp_.q_lora_rank, n, q_.data(), q_dim, ctx_);
  }
  // Norm on the latent, RoPE on the queries' and the key's rope parts.
  kernels::rms_norm(kv_lat_.data(), kvw, n, lora, l.kv_a_norm.data(), eps, kv_lat_.data(), kvw);
  kernels::rope_rows(scales_.rope, q_.data() + nope, q_dim, n, positions.data(), n_head, hk, ctx_);
  kernels::rope_rows(scales_.rope, kv_lat_.data() + lora, kvw, n, positions.data(), 1, rope, ctx_);
  for (int64_t r = 0; r < n; ++r) {
    tensor::float_to_fp16_row(
        kv_lat_.data() + r * kvw,
        kv_->k_row(il, kv_block[static_cast<size_t>(r)], kv_slot[static_cast<size_t>(r)]), kvw);
  }
  // Absorb attn_k_b into the queries; append the rotated query RoPE parts.
  // q_abs: [n, n_head * (kv_lora_rank + rope)]
  for_each_head([&](int64_t h, kernels::ExecContext& solo) {
    kernels::matmul(l.wk_b[static_cast<size_t>(h)], q_.data() + h * hk, q_dim, n,
                    q_abs_.data() + h * kvw, qa_dim, solo);
    for (int64_t r = 0; r < n; ++r) {
      const float* src = q_.data() + r * q_dim + h * hk + nope;
      std::copy(src, src + rope, q_abs_.data() + r * qa_dim + h * kvw + lora);
    }
  });
  kernels::AttentionDims dims;
  dims.n_head = n_head;
  dims.n_head_kv = 1;
  dims.head_dim_k = kvw;
  dims.head_dim_v = lora;
  dims.scale = scales_.kq_scale;
  kernels::PagedKv view = kv_->layer_view(il);
  view.v = view.k;
  view.v_block_stride = view.k_block_stride;
  view.v_row_stride = view.k_row_stride;
  kernels::attention_paged(dims, view, tasks.data(), tasks.size(), ctx_);
  // Latent attention output attn_lat: [n, n_head * kv_lora_rank] -> value heads
  // attn_v: [n, n_head * head_dim_v] -> proj: [n, n_embd]
  for_each_head([&](int64_t h, kernels::ExecContext& solo) {
    kernels::matmul(l.wv_b[static_cast<size_t>(h)], attn_lat_.data() + h * lora, lat_dim, n,
                    attn_v_.data() + h * hp_.head_dim_v, v_dim, solo);
  });
  kernels::matmul(l.wo, attn_v_.data(), v_dim, n, proj_.data(), n_embd, ctx_);
}

Logits Deepseek2Model::forward(const Batch& batch) {
  const BatchPlan plan =
      plan_batch(batch, {hp_.base.n_vocab, ctx_size_, kv_->block_size(), kv_->n_blocks()});
  const int64_t n = plan.n_tokens;
  const int64_t n_embd = hp_.base.n_embd;
  const int64_t n_head = hp_.base.n_head;
  const int64_t kvw = hp_.kv_row_elems();
  grow(x_, n * n_embd);
  grow(cur_, n * n_embd);
  grow(q_, n * n_head * hp_.head_dim_qk());
  grow(kv_lat_, n * kvw);
  grow(q_abs_, n * n_head * kvw);
  grow(attn_lat_, n * n_head * hp_.kv_lora_rank);
  grow(attn_v_, n * n_head * hp_.head_dim_v);
  grow(proj_, n * n_embd);

  // x: [n, n_embd] (n = tokens of all sequences in the step)
  embed_tokens(token_embd_, plan.tokens.data(), n, x_.data(), n_embd, ctx_);

  std::vector<kernels::AttentionTask> tasks = attention_tasks(
      batch, plan, q_abs_.data(), n_head * kvw, attn_lat_.data(), n_head * hp_.kv_lora_rank);

  for (int64_t il = 0; il < hp_.base.n_layer; ++il) {
    const Deepseek2LayerWeights& l = layers_[static_cast<size_t>(il)];
    kernels::rms_norm(x_.data(), n_embd, n, n_embd, l.attn_norm.data(), hp_.base.rms_eps,
                      cur_.data(), n_embd);
    attention(l, il, n, plan.positions, plan.kv_block, plan.kv_slot, tasks);
    kernels::add_inplace(x_.data(), proj_.data(), n * n_embd);

    kernels::rms_norm(x_.data(), n_embd, n, n_embd, l.ffn_norm.data(), hp_.base.rms_eps,
                      cur_.data(), n_embd);
    // cur: [n, n_embd] -> proj: [n, n_embd] (routed experts + shared, or the dense FFN)
    if (hp_.is_moe_layer(il)) {
      moe_ffn(l.moe, routing_, cur_.data(), n_embd, n, proj_.data(), n_embd, moe_scratch_, ctx_);
    } else {
      ffn_silu_gated(l.dense, cur_.data(), n_embd, n, proj_.data(), n_embd, ffn_scratch_, ctx_);
    }
    kernels::add_inplace(x_.data(), proj_.data(), n * n_embd);
  }

  Logits logits;
  init_logits_layout(batch, hp_.base.n_vocab, logits);
  logits.data.resize(plan.logit_rows.size() * static_cast<size_t>(hp_.base.n_vocab));
  // logits: [rows that asked for logits, n_vocab]
  output_head(output_, output_norm_, hp_.base.rms_eps, x_.data(), n_embd, plan.logit_rows,
              logits.data.data(), gathered_, ctx_);
  return logits;
}

}  // namespace dsinfer::model
