// The part every decoder dsinfer runs shares (llama, qwen2, deepseek2): token embedding, pre-norm
// blocks over a residual stream with RMSNorm, the output head, the paged KV pool and ModelInfo.
// An architecture derives from DecoderModel and supplies its attention and FFN (weights + maths).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "kernels/exec_context.h"
#include "kernels/matmul.h"
#include "model/batch_plan.h"
#include "model/hparams.h"
#include "model/kv_block_pool.h"
#include "model/model.h"
#include "model/weight_binder.h"
#include "model/weight_repack.h"

namespace dsinfer::model {

// Bytes of a bound 2-D weight as the kernels read it (0 when absent).
int64_t weight_bytes(const kernels::WeightView& w);

// NOTE: forward() is, over all tokens of the batch at once (x: [n_tokens, n_embd]):
//   x = embedding rows of the tokens
//   per layer:  cur = rms_norm(x) * attn_norm;  proj = attention(cur);  x += proj
//               cur = rms_norm(x) * ffn_norm;   proj = ffn(cur);        x += proj
//   logits = output(rms_norm(x[rows that want logits]) * output_norm)
// The base binds and runs everything but attention() and ffn(), which the architecture
// implements: they read cur() and write proj(), both [n_tokens, n_embd]; attention() stores the
// step's K/V rows (store_kv) before attending, so a prefill chunk attends to itself causally.
class DecoderModel : public Model {
 public:
  const ModelInfo& info() const final { return info_; }
  int64_t kv_block_size() const final { return kv_->block_size(); }
  int64_t kv_block_count() const final { return kv_->n_blocks(); }
  int64_t ctx_size() const final { return ctx_size_; }
  Logits forward(const Batch& batch) final;

  // Bytes the KV pool allocates per token (all layers), computed from the pool itself.
  int64_t kv_pool_bytes_per_token() const {
    return kv_->total_bytes() / (kv_->n_blocks() * kv_->block_size());
  }

 protected:
  // Elements of one token's K and V rows per layer in the pool (v = 0: no V row, as MLA).
  struct KvRowElems {
    int64_t k = 0;
    int64_t v = 0;
  };

  // Checks the options (Error(kInvalidInput) for a KV block size <= 0) and resolves the context
  // size; binds nothing. `shape` is the part of the hyper-parameters every decoder has.
  DecoderModel(std::shared_ptr<const gguf::GgufFile> file, const TransformerHparams& shape,
               const ModelOptions& options, kernels::ExecContext& ctx);

  // The derived constructor's last step: binds the embedding, every layer's norms and (through
  // bind_layer) the architecture's weights, the output head; repacks (repack_layers, then the
  // output matrix); allocates the KV pool with rows of `kv_rows`; fills info(). Throws like
  // load_model.
  void load(KvRowElems kv_rows);

  // The architecture's weights of layer `layer` (checked: throws like WeightBinder).
  virtual void bind_layer(const WeightBinder& b, int64_t layer) = 0;
  // Hands every layer matrix the kernels may read packed to `r` (WeightRepacker::repack).
  virtual void repack_layers(WeightRepacker& r) = 0;
  // Bytes of layer weights one decode step reads (all layers; info().weight_bytes_per_token
  // adds the output matrix).
  virtual int64_t layer_weight_bytes_per_token() const = 0;

  // Start of a step of plan.n_tokens tokens: sizes the architecture's activations and returns
  // one attention task per sequence over them (attention_tasks in model/batch_plan.h).
  virtual std::vector<kernels::AttentionTask> begin_step(const Batch& batch,
                                                         const BatchPlan& plan) = 0;
  // proj = attention of layer `layer` over cur (both [plan.n_tokens, n_embd]).
  virtual void attention(int64_t layer, const BatchPlan& plan,
                         std::vector<kernels::AttentionTask>& tasks) = 0;
  // proj = feed-forward of layer `layer` over cur (both [n_tokens, n_embd]).
  virtual void ffn(int64_t layer, int64_t n_tokens) = 0;

  // For the hooks.
  const gguf::GgufFile& file() const { return *file_; }
  kernels::ExecContext& ctx() const { return ctx_; }
  const float* cur() const { return cur_.data(); }
  float* proj() { return proj_.data(); }
  const KvBlockPool& kv() const { return *kv_; }
  // Stores row r of k (and of v, when the pool has V rows) as F16 into token r's KV slot in
  // layer `layer`, for every token of the plan. k: [n_tokens, kv k row], v: [n_tokens, kv v row].
  void store_kv(int64_t layer, const BatchPlan& plan, const float* k, const float* v);

 private:
  struct LayerNorms {
    std::vector<float> attn;  // attn_norm.weight [n_embd]
    std::vector<float> ffn;   // ffn_norm.weight [n_embd]
  };

  void bind_embedding_and_head(const WeightBinder& b);

  std::shared_ptr<const gguf::GgufFile> file_;
  kernels::ExecContext& ctx_;
  WeightRepacker repacker_;
  TransformerHparams shape_;
  int64_t ctx_size_ = 0;
  int64_t kv_block_size_ = 0;  // tokens per KV block
  int64_t kv_blocks_ = 0;      // blocks in the pool
  ModelInfo info_;

  kernels::WeightView token_embd_;
  kernels::WeightView output_;  // token_embd_ when the file has no output.weight (tied)
  std::vector<float> output_norm_;
  std::vector<LayerNorms> norms_;
  std::unique_ptr<KvBlockPool> kv_;

  // Activations reused across forward() calls, in the context's memory: the residual stream
  // and the blocks' input and output, each [n_tokens, n_embd].
  kernels::DeviceArray<float> x_, cur_, proj_;
  std::vector<float> gathered_;  // output_head's rows (host scratch, as the logits)
};

}  // namespace dsinfer::model
