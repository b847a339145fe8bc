// The shared decoder: binding of embedding, norms and output head, KV pool, forward()'s skeleton.
#include "model/decoder_model.h"

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "kernels/activation.h"
#include "kernels/norm.h"
#include "model/embedding.h"
#include "model/model_info.h"
#include "model/output_head.h"
#include "tensor/quantize.h"

namespace dsinfer::model {

int64_t weight_bytes(const kernels::WeightView& w) {
  return w.data == nullptr ? 0 : static_cast<int64_t>(w.row_stride) * w.n_out;
}

DecoderModel::DecoderModel(std::shared_ptr<const gguf::GgufFile> file,
                           const TransformerHparams& shape, const ModelOptions& options,
                           kernels::ExecContext& ctx)
    : file_(std::move(file)),
      ctx_(ctx),
      repacker_(options.repack_weights, file_->is_file_mapped(), ctx),
      shape_(shape) {
  if (options.kv_block_size <= 0) {
    fail(ErrorKind::kInvalidInput, "KV block size {} must be > 0", options.kv_block_size);
  }
  ctx_size_ = options.ctx_size > 0 ? options.ctx_size : shape_.n_ctx_train;
  kv_block_size_ = options.kv_block_size;
  kv_blocks_ =
      options.kv_blocks > 0 ? options.kv_blocks : (ctx_size_ + kv_block_size_ - 1) / kv_block_size_;
}

void DecoderModel::bind_embedding_and_head(const WeightBinder& b) {
  const int64_t n_embd = shape_.n_embd;
  const int64_t n_vocab = shape_.n_vocab;
  // The embedding table is only read row by row (dequantised), so any convertible type works.
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
}

void DecoderModel::load(KvRowElems kv_rows) {
  const WeightBinder b(*file_);
  bind_embedding_and_head(b);
  norms_.resize(static_cast<size_t>(shape_.n_layer));
  for (int64_t i = 0; i < shape_.n_layer; ++i) {
    LayerNorms& n = norms_[static_cast<size_t>(i)];
    n.attn = b.vector(layer_tensor(i, "attn_norm.weight"), shape_.n_embd);
    bind_layer(b, i);
    n.ffn = b.vector(layer_tensor(i, "ffn_norm.weight"), shape_.n_embd);
  }

  repack_layers(repacker_);
  repacker_.repack(output_);  // a copy when tied: token_embd_ keeps reading the file
  spdlog::debug("model: {} weights repacked into 8-row groups ({} bytes)", repacker_.packed_count(),
                repacker_.packed_bytes());

  kv_ = std::make_unique<KvBlockPool>(ctx_, shape_.n_layer, kv_blocks_, kv_block_size_, kv_rows.k,
                                      kv_rows.v);

  info_ = describe_model(*file_, shape_.arch);
  info_.n_vocab = shape_.n_vocab;
  info_.n_ctx_train = shape_.n_ctx_train;
  info_.kv_bytes_per_token = kv_->bytes_per_token();
  info_.weight_bytes_per_token = layer_weight_bytes_per_token() + weight_bytes(output_);
  spdlog::debug(
      "model: {} ({}), {} layers, n_embd {}, heads {}/{}, KV pool {} blocks x {} tokens "
      "({} bytes)",
      info_.name, shape_.arch, shape_.n_layer, shape_.n_embd, shape_.n_head, shape_.n_head_kv,
      kv_blocks_, kv_block_size_, kv_->total_bytes());
}

void DecoderModel::store_kv(int64_t layer, const BatchPlan& plan, const float* k, const float* v) {
  const int64_t k_row = kv_->k_row_elems();
  const int64_t v_row = kv_->v_row_elems();
  for (int64_t r = 0; r < plan.n_tokens; ++r) {
    const int64_t block = plan.kv_block[static_cast<size_t>(r)];
    const int64_t slot = plan.kv_slot[static_cast<size_t>(r)];
    tensor::float_to_fp16_row(k + r * k_row, kv_->k_row(layer, block, slot), k_row);
    if (v_row > 0) tensor::float_to_fp16_row(v + r * v_row, kv_->v_row(layer, block, slot), v_row);
  }
}

// NOTE: one pass over the whole batch per layer: every projection is one matmul over all token
// rows of all sequences (each weight read once per step); only attention is per sequence, each
// over its own KV blocks.
Logits DecoderModel::forward(const Batch& batch) {
  const BatchPlan plan =
      plan_batch(batch, {shape_.n_vocab, ctx_size_, kv_->block_size(), kv_->n_blocks()});
  const int64_t n = plan.n_tokens;
  const int64_t n_embd = shape_.n_embd;
  const float eps = shape_.rms_eps;
  x_.reserve(ctx_, n * n_embd, "residual stream");
  cur_.reserve(ctx_, n * n_embd, "block input");
  proj_.reserve(ctx_, n * n_embd, "block output");

  // x: [n, n_embd] (n = tokens of all sequences in the step)
  embed_tokens(token_embd_, plan.tokens.data(), n, x_.data(), n_embd, ctx_);
  std::vector<kernels::AttentionTask> tasks = begin_step(batch, plan);

  for (int64_t il = 0; il < shape_.n_layer; ++il) {
    const LayerNorms& norms = norms_[static_cast<size_t>(il)];
    // cur: [n, n_embd] -> proj: [n, n_embd]
    kernels::rms_norm(x_.data(), n_embd, n, n_embd, norms.attn.data(), eps, cur_.data(), n_embd);
    attention(il, plan, tasks);
    kernels::add_inplace(x_.data(), proj_.data(), n * n_embd);

    kernels::rms_norm(x_.data(), n_embd, n, n_embd, norms.ffn.data(), eps, cur_.data(), n_embd);
    ffn(il, n);
    kernels::add_inplace(x_.data(), proj_.data(), n * n_embd);
  }

  Logits logits;
  init_logits_layout(batch, shape_.n_vocab, logits);
  logits.data.resize(plan.logit_rows.size() * static_cast<size_t>(shape_.n_vocab));
  // logits: [rows that asked for logits, n_vocab]
  output_head(output_, output_norm_, eps, x_.data(), n_embd, plan.logit_rows, logits.data.data(),
              gathered_, ctx_);
  return logits;
}

}  // namespace dsinfer::model
