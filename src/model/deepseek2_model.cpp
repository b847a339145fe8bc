// deepseek2 forward pass: MLA attention (absorbed up-projections over the latent cache) and MoE.
#include "model/deepseek2_model.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "kernels/attention.h"
#include "kernels/norm.h"
#include "tensor/quantize.h"

namespace dsinfer::model {

namespace {

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

// NOTE: two layouts of the KV up-projection. Current files split it per head: attn_k_b
// [nope, kv_lora, heads] (absorbed into the query) and attn_v_b [kv_lora, v, heads]. Older files
// carry attn_kv_b [kv_lora, heads * (nope + v)], whose rows per head are nope key rows then v
// value rows: the value rows are used in place, the key rows are transposed once into F32.
void bind_kv_up_projections(const WeightBinder& b, const Deepseek2Hparams& hp, int64_t i,
                            Deepseek2LayerWeights& l) {
  const int64_t n_head = hp.base.n_head;
  const int64_t nope = hp.head_dim_nope;
  const int64_t lora = hp.kv_lora_rank;
  const int64_t vd = hp.head_dim_v;
  if (b.file().find_tensor(layer_tensor(i, "attn_k_b.weight")) != nullptr ||
      b.file().find_tensor(layer_tensor(i, "attn_kv_b.weight")) == nullptr) {
    l.wk_b = bind_slices(b, layer_tensor(i, "attn_k_b.weight"), nope, lora, n_head);
    l.wv_b = bind_slices(b, layer_tensor(i, "attn_v_b.weight"), lora, vd, n_head);
    return;
  }
  const kernels::WeightView kvb =
      b.matrix(layer_tensor(i, "attn_kv_b.weight"), lora, n_head * (nope + vd));
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

}  // namespace

const Architecture kDeepseek2Architecture{"deepseek2", read_deepseek2_facts, create_deepseek2};

Deepseek2Model::Deepseek2Model(std::shared_ptr<const gguf::GgufFile> file,
                               const ModelOptions& options, kernels::ExecContext& ctx)
    : Deepseek2Model(file, read_deepseek2_hparams(*file), options, ctx) {}

Deepseek2Model::Deepseek2Model(std::shared_ptr<const gguf::GgufFile> file,
                               const Deepseek2Hparams& hp, const ModelOptions& options,
                               kernels::ExecContext& ctx)
    : DecoderModel(std::move(file), hp.base, options, ctx),
      hp_(hp),
      scales_(make_deepseek2_scales(hp_)),
      routing_(make_moe_routing(hp_)) {
  layers_.resize(static_cast<size_t>(hp_.base.n_layer));
  // One "K" row per token and layer: latent + RoPE key; the values are the latent part of it.
  load({hp_.kv_row_elems(), 0});
  spdlog::debug(
      "model: deepseek2 {} dense layers, kv_lora {}, rope {}, q_lora {}, experts {}/{} (+{} "
      "shared)",
      hp_.n_dense_lead, hp_.kv_lora_rank, hp_.head_dim_rope, hp_.q_lora_rank, hp_.n_expert_used,
      hp_.n_expert, hp_.n_expert_shared);
}

int64_t Deepseek2Model::layer_weight_bytes_per_token() const {
  int64_t bytes = 0;
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
  return bytes;
}

Deepseek2LayerWeights bind_deepseek2_layer(const WeightBinder& b, const Deepseek2Hparams& hp,
                                           int64_t i) {
  const int64_t n_embd = hp.base.n_embd;
  const int64_t n_head = hp.base.n_head;
  const int64_t q_dim = n_head * hp.head_dim_qk();
  Deepseek2LayerWeights l;
  if (hp.q_lora_rank > 0) {
    l.wq_a = b.matrix(layer_tensor(i, "attn_q_a.weight"), n_embd, hp.q_lora_rank);
    l.q_a_norm = b.vector(layer_tensor(i, "attn_q_a_norm.weight"), hp.q_lora_rank);
    l.wq_b = b.matrix(layer_tensor(i, "attn_q_b.weight"), hp.q_lora_rank, q_dim);
  } else {
    l.wq = b.matrix(layer_tensor(i, "attn_q.weight"), n_embd, q_dim);
  }
  l.wkv_a = b.matrix(layer_tensor(i, "attn_kv_a_mqa.weight"), n_embd, hp.kv_row_elems());
  l.kv_a_norm = b.vector(layer_tensor(i, "attn_kv_a_norm.weight"), hp.kv_lora_rank);
  bind_kv_up_projections(b, hp, i, l);
  l.wo = b.matrix(layer_tensor(i, "attn_output.weight"), n_head * hp.head_dim_v, n_embd);
  if (hp.is_moe_layer(i)) {
    l.moe = bind_moe_weights(b, hp, i);
  } else {
    l.dense.gate = b.matrix(layer_tensor(i, "ffn_gate.weight"), n_embd, hp.base.n_ff);
    l.dense.up = b.matrix(layer_tensor(i, "ffn_up.weight"), n_embd, hp.base.n_ff);
    l.dense.down = b.matrix(layer_tensor(i, "ffn_down.weight"), hp.base.n_ff, n_embd);
  }
  return l;
}

void Deepseek2Model::bind_layer(const WeightBinder& b, int64_t i) {
  layers_[static_cast<size_t>(i)] = bind_deepseek2_layer(b, hp_, i);
}

void Deepseek2Model::repack_layers(WeightRepacker& r) {
  for (auto& l : layers_) {
    for (auto* w : {&l.wq, &l.wq_a, &l.wq_b, &l.wkv_a, &l.wo, &l.dense.gate, &l.dense.up,
                    &l.dense.down, &l.moe.shared.gate, &l.moe.shared.up, &l.moe.shared.down}) {
      r.repack(*w);
    }
    for (auto& w : l.wk_b) r.repack(w);
    for (auto& w : l.wv_b) r.repack(w);
    for (auto& e : l.moe.experts) {
      for (auto* w : {&e.gate, &e.up, &e.down}) r.repack(*w);
    }
  }
}

void Deepseek2Model::for_each_head(const std::function<void(int64_t, kernels::ExecContext&)>& fn) {
  ctx().parallel_for(hp_.base.n_head, 1, [&](int64_t h0, int64_t h1, int thread) {
    kernels::ExecContext& one = ctx().single_thread(thread);
    for (int64_t h = h0; h < h1; ++h) fn(h, one);
  });
}

// NOTE: MLA in its absorbed form, for prefill and decode alike (as the reference does for files
// with split k_b/v_b): per head, q_nope is multiplied by attn_k_b into the latent space, so each
// query head is [kv_lora + rope] and attends (one shared KV head, F16 cache) over the cached rows
// [latent | rope key]; the values are the latent part of the same rows; the per-head attention
// output (latent space) is projected by attn_v_b to the value head size before attn_output.
void Deepseek2Model::attention(int64_t il, const BatchPlan& plan,
                               std::vector<kernels::AttentionTask>& tasks) {
  const Deepseek2LayerWeights& l = layers_[static_cast<size_t>(il)];
  const int64_t n = plan.n_tokens;
  const int64_t* positions = plan.positions.data();
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
  if (low_rank_q) qa_.reserve(ctx(), n * hp_.q_lora_rank, "low-rank q");
  const kernels::MatmulTarget inputs[] = {
      low_rank_q ? kernels::MatmulTarget{l.wq_a, qa_.data(), hp_.q_lora_rank}
                 : kernels::MatmulTarget{l.wq, q_.data(), q_dim},
      {l.wkv_a, kv_lat_.data(), kvw}};
  // cur: [n, n_embd] -> qa: [n, q_lora_rank] (or q: [n, n_head * (nope + rope)]),
  // kv_lat: [n, kv_lora_rank + rope]
  kernels::matmul_multi(inputs, cur(), n_embd, n, ctx());
  if (low_rank_q) {
    kernels::rms_norm(qa_.data(), hp_.q_lora_rank, n, hp_.q_lora_rank, l.q_a_norm.data(), eps,
                      qa_.data(), hp_.q_lora_rank);
    kernels::matmul(l.wq_b, qa_.data(), hp_.q_lora_rank, n, q_.data(), q_dim, ctx());
  }
  // Norm on the latent, RoPE on the queries' and the key's rope parts.
  kernels::rms_norm(kv_lat_.data(), kvw, n, lora, l.kv_a_norm.data(), eps, kv_lat_.data(), kvw);
  kernels::rope_rows(scales_.rope, q_.data() + nope, q_dim, n, positions, n_head, hk, ctx());
  kernels::rope_rows(scales_.rope, kv_lat_.data() + lora, kvw, n, positions, 1, rope, ctx());
  store_kv(il, plan, kv_lat_.data(), nullptr);
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
  kernels::PagedKv view = kv().layer_view(il);
  view.v = view.k;
  view.v_block_stride = view.k_block_stride;
  view.v_row_stride = view.k_row_stride;
  kernels::attention_paged(dims, view, tasks.data(), tasks.size(), ctx());
  // Latent attention output attn_lat: [n, n_head * kv_lora_rank] -> value heads
  // attn_v: [n, n_head * head_dim_v] -> proj: [n, n_embd]
  for_each_head([&](int64_t h, kernels::ExecContext& solo) {
    kernels::matmul(l.wv_b[static_cast<size_t>(h)], attn_lat_.data() + h * lora, lat_dim, n,
                    attn_v_.data() + h * hp_.head_dim_v, v_dim, solo);
  });
  kernels::matmul(l.wo, attn_v_.data(), v_dim, n, proj(), n_embd, ctx());
}

std::vector<kernels::AttentionTask> Deepseek2Model::begin_step(const Batch& batch,
                                                               const BatchPlan& plan) {
  const int64_t n = plan.n_tokens;
  const int64_t n_head = hp_.base.n_head;
  const int64_t kvw = hp_.kv_row_elems();
  q_.reserve(ctx(), n * n_head * hp_.head_dim_qk(), "attention q");
  kv_lat_.reserve(ctx(), n * kvw, "KV latent");
  q_abs_.reserve(ctx(), n * n_head * kvw, "absorbed q");
  attn_lat_.reserve(ctx(), n * n_head * hp_.kv_lora_rank, "latent attention output");
  attn_v_.reserve(ctx(), n * n_head * hp_.head_dim_v, "value heads");
  return attention_tasks(batch, plan, q_abs_.data(), n_head * kvw, attn_lat_.data(),
                         n_head * hp_.kv_lora_rank);
}

void Deepseek2Model::ffn(int64_t il, int64_t n) {
  const Deepseek2LayerWeights& l = layers_[static_cast<size_t>(il)];
  const int64_t n_embd = hp_.base.n_embd;
  // cur: [n, n_embd] -> proj: [n, n_embd] (routed experts + shared, or the dense FFN)
  if (hp_.is_moe_layer(il)) {
    moe_ffn(l.moe, routing_, cur(), n_embd, n, proj(), n_embd, moe_scratch_, ctx());
  } else {
    ffn_silu_gated(l.dense, cur(), n_embd, n, proj(), n_embd, ffn_scratch_, ctx());
  }
}

}  // namespace dsinfer::model
