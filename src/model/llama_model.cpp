// llama / qwen2 forward pass over a mixed batch with a paged F16 KV cache.
#include "model/llama_model.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/norm.h"
#include "model/batch_plan.h"
#include "model/bias.h"
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

ArchitectureFacts read_llama_facts(const gguf::GgufFile& file, const std::string& name) {
  const TransformerHparams hp = read_transformer_hparams(file, name);
  return {KvBlockPool::bytes_per_token_for(hp.n_layer, hp.n_head_kv * hp.head_dim_k,
                                           hp.n_head_kv * hp.head_dim_v),
          hp.n_ctx_train};
}

std::unique_ptr<Model> create_llama(std::shared_ptr<const gguf::GgufFile> file,
                                    const std::string& name, const ModelOptions& options,
                                    kernels::ExecContext& ctx) {
  return std::make_unique<LlamaModel>(std::move(file), name, options, ctx);
}

}  // namespace

const Architecture kLlamaArchitecture{"llama", read_llama_facts, create_llama};
const Architecture kQwen2Architecture{"qwen2", read_llama_facts, create_llama};

LlamaModel::LlamaModel(std::shared_ptr<const gguf::GgufFile> file, const std::string& arch,
                       const ModelOptions& options, kernels::ExecContext& ctx)
    : file_(std::move(file)),
      ctx_(ctx),
      repacker_(options.repack_weights, file_->is_file_mapped(), ctx),
      hp_(read_transformer_hparams(*file_, arch)) {
  // The reference rotates adjacent pairs for llama and halves (NeoX) for qwen2.
  rope_ = make_rope_config(
      hp_.rope, arch == "qwen2" ? kernels::RopeLayout::kNeox : kernels::RopeLayout::kNormal);
  bind_weights();
  repack_weights();

  if (options.kv_block_size <= 0) {
    fail(ErrorKind::kInvalidInput, "KV block size {} must be > 0", options.kv_block_size);
  }
  ctx_size_ = options.ctx_size > 0 ? options.ctx_size : hp_.n_ctx_train;
  const int64_t n_blocks = options.kv_blocks > 0
                               ? options.kv_blocks
                               : (ctx_size_ + options.kv_block_size - 1) / options.kv_block_size;
  const int64_t kv_row = hp_.n_head_kv * hp_.head_dim_k;
  const int64_t v_row = hp_.n_head_kv * hp_.head_dim_v;
  kv_ = std::make_unique<KvBlockPool>(hp_.n_layer, n_blocks, options.kv_block_size, kv_row, v_row);

  info_ = describe_model(*file_, arch);
  info_.n_vocab = hp_.n_vocab;
  info_.n_ctx_train = hp_.n_ctx_train;
  info_.kv_bytes_per_token = kv_->bytes_per_token();
  int64_t bytes = 0;
  auto add = [&](const kernels::WeightView& w) {
    bytes += static_cast<int64_t>(w.row_stride) * w.n_out;
  };
  for (const auto& l : layers_) {
    for (const auto* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn.gate, &l.ffn.up, &l.ffn.down}) add(*w);
  }
  add(output_);
  info_.weight_bytes_per_token = bytes;
  spdlog::debug(
      "model: {} ({}), {} layers, n_embd {}, heads {}/{}, KV pool {} blocks x {} tokens "
      "({} bytes)",
      info_.name, arch, hp_.n_layer, hp_.n_embd, hp_.n_head, hp_.n_head_kv, n_blocks,
      options.kv_block_size, kv_->total_bytes());
}

void LlamaModel::bind_weights() {
  const WeightBinder b(*file_);
  const int64_t n_embd = hp_.n_embd;
  const int64_t q_dim = hp_.n_head * hp_.head_dim_k;
  const int64_t k_dim = hp_.n_head_kv * hp_.head_dim_k;
  const int64_t v_dim = hp_.n_head_kv * hp_.head_dim_v;
  const int64_t o_dim = hp_.n_head * hp_.head_dim_v;

  // The embedding table is only read row by row (dequantised), so any convertible type works.
  const gguf::TensorInfo& emb = b.tensor("token_embd.weight", {n_embd, hp_.n_vocab});
  tensor::require_dequantizable(emb.type);
  token_embd_.type = emb.type;
  token_embd_.data = emb.data;
  token_embd_.n_in = n_embd;
  token_embd_.n_out = hp_.n_vocab;
  token_embd_.row_stride = tensor::row_bytes(tensor::dtype_info(emb.type), n_embd);

  output_norm_ = b.vector("output_norm.weight", n_embd);
  output_ = b.matrix_opt("output.weight", n_embd, hp_.n_vocab);
  if (output_.data == nullptr) output_ = b.matrix("token_embd.weight", n_embd, hp_.n_vocab);

  layers_.resize(static_cast<size_t>(hp_.n_layer));
  for (int64_t i = 0; i < hp_.n_layer; ++i) {
    LlamaLayerWeights& l = layers_[static_cast<size_t>(i)];
    l.attn_norm = b.vector(blk(i, "attn_norm.weight"), n_embd);
    l.wq = b.matrix(blk(i, "attn_q.weight"), n_embd, q_dim);
    l.wk = b.matrix(blk(i, "attn_k.weight"), n_embd, k_dim);
    l.wv = b.matrix(blk(i, "attn_v.weight"), n_embd, v_dim);
    l.wo = b.matrix(blk(i, "attn_output.weight"), o_dim, n_embd);
    l.bq = b.vector_opt(blk(i, "attn_q.bias"), q_dim);
    l.bk = b.vector_opt(blk(i, "attn_k.bias"), k_dim);
    l.bv = b.vector_opt(blk(i, "attn_v.bias"), v_dim);
    l.ffn_norm = b.vector(blk(i, "ffn_norm.weight"), n_embd);
    l.ffn.gate = b.matrix(blk(i, "ffn_gate.weight"), n_embd, hp_.n_ff);
    l.ffn.up = b.matrix(blk(i, "ffn_up.weight"), n_embd, hp_.n_ff);
    l.ffn.down = b.matrix(blk(i, "ffn_down.weight"), hp_.n_ff, n_embd);
  }
}

void LlamaModel::repack_weights() {
  for (auto& l : layers_) {
    for (auto* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn.gate, &l.ffn.up, &l.ffn.down}) {
      repacker_.repack(*w);
    }
  }
  repacker_.repack(output_);  // a copy when tied: token_embd_ keeps reading the file
  spdlog::debug("model: {} weights repacked into 8-row groups ({} bytes)", repacker_.packed_count(),
                repacker_.packed_bytes());
}

// NOTE: one pass over the whole batch per layer: every projection is one matmul over all token
// rows of all sequences (each weight read once per step); only attention is per sequence, each
// over its own KV blocks. K/V of the step's tokens are stored into the pool before attention, so
// a prefill chunk attends causally to itself plus everything cached before it.
Logits LlamaModel::forward(const Batch& batch) {
  const BatchPlan plan =
      plan_batch(batch, {hp_.n_vocab, ctx_size_, kv_->block_size(), kv_->n_blocks()});
  const int64_t n = plan.n_tokens;
  const int64_t n_embd = hp_.n_embd;
  const int64_t q_dim = hp_.n_head * hp_.head_dim_k;
  const int64_t k_dim = hp_.n_head_kv * hp_.head_dim_k;
  const int64_t v_dim = hp_.n_head_kv * hp_.head_dim_v;
  const int64_t o_dim = hp_.n_head * hp_.head_dim_v;
  auto grow = [](std::vector<float>& v, int64_t size) {
    if (v.size() < static_cast<size_t>(size)) v.resize(static_cast<size_t>(size));
  };
  grow(x_, n * n_embd);
  grow(cur_, n * n_embd);
  grow(q_, n * q_dim);
  grow(k_, n * k_dim);
  grow(v_, n * v_dim);
  grow(attn_, n * o_dim);
  grow(proj_, n * n_embd);

  // x: [n, n_embd] (n = tokens of all sequences in the step)
  embed_tokens(token_embd_, plan.tokens.data(), n, x_.data(), n_embd, ctx_);

  std::vector<kernels::AttentionTask> tasks =
      attention_tasks(batch, plan, q_.data(), q_dim, attn_.data(), o_dim);
  kernels::AttentionDims dims;
  dims.n_head = hp_.n_head;
  dims.n_head_kv = hp_.n_head_kv;
  dims.head_dim_k = hp_.head_dim_k;
  dims.head_dim_v = hp_.head_dim_v;
  dims.scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim_k));

  for (int64_t il = 0; il < hp_.n_layer; ++il) {
    const LlamaLayerWeights& l = layers_[static_cast<size_t>(il)];
    // Attention block. cur: [n, n_embd]
    kernels::rms_norm(x_.data(), n_embd, n, n_embd, l.attn_norm.data(), hp_.rms_eps, cur_.data(),
                      n_embd);
    const kernels::MatmulTarget qkv[] = {
        {l.wq, q_.data(), q_dim}, {l.wk, k_.data(), k_dim}, {l.wv, v_.data(), v_dim}};
    // q: [n, n_head * head_dim_k]; k: [n, n_head_kv * head_dim_k]; v: [n, n_head_kv * head_dim_v]
    kernels::matmul_multi(qkv, cur_.data(), n_embd, n, ctx_);
    add_bias_rows(l.bq, q_.data(), q_dim, n);
    add_bias_rows(l.bk, k_.data(), k_dim, n);
    add_bias_rows(l.bv, v_.data(), v_dim, n);
    kernels::rope_rows(rope_, q_.data(), q_dim, n, plan.positions.data(), hp_.n_head,
                       hp_.head_dim_k, ctx_);
    kernels::rope_rows(rope_, k_.data(), k_dim, n, plan.positions.data(), hp_.n_head_kv,
                       hp_.head_dim_k, ctx_);
    for (int64_t r = 0; r < n; ++r) {
      const auto b = plan.kv_block[static_cast<size_t>(r)];
      const auto s = plan.kv_slot[static_cast<size_t>(r)];
      tensor::float_to_fp16_row(k_.data() + r * k_dim, kv_->k_row(il, b, s), k_dim);
      tensor::float_to_fp16_row(v_.data() + r * v_dim, kv_->v_row(il, b, s), v_dim);
    }
    // attn: [n, n_head * head_dim_v] -> proj: [n, n_embd]
    kernels::attention_paged(dims, kv_->layer_view(il), tasks.data(), tasks.size(), ctx_);
    kernels::matmul(l.wo, attn_.data(), o_dim, n, proj_.data(), n_embd, ctx_);
    kernels::add_inplace(x_.data(), proj_.data(), n * n_embd);

    // Feed-forward block.
    kernels::rms_norm(x_.data(), n_embd, n, n_embd, l.ffn_norm.data(), hp_.rms_eps, cur_.data(),
                      n_embd);
    // [n, n_embd] -> [n, n_ff] (gate, up) -> proj: [n, n_embd]
    ffn_silu_gated(l.ffn, cur_.data(), n_embd, n, proj_.data(), n_embd, ffn_scratch_, ctx_);
    kernels::add_inplace(x_.data(), proj_.data(), n * n_embd);
  }

  Logits logits;
  init_logits_layout(batch, hp_.n_vocab, logits);
  logits.data.resize(plan.logit_rows.size() * static_cast<size_t>(hp_.n_vocab));
  // logits: [rows that asked for logits, n_vocab]
  output_head(output_, output_norm_, hp_.rms_eps, x_.data(), n_embd, plan.logit_rows,
              logits.data.data(), gathered_, ctx_);
  return logits;
}

}  // namespace dsinfer::model
