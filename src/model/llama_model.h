// The llama-family decoder (architectures "llama" and "qwen2"): pre-norm attention with GQA and
// RoPE, SiLU-gated FFN; qwen2 adds Q/K/V biases and uses the NeoX RoPE layout.
#pragma once

#include <memory>
#include <vector>

#include "kernels/rope.h"
#include "model/architecture.h"
#include "model/ffn.h"
#include "model/hparams.h"
#include "model/kv_block_pool.h"
#include "model/model.h"
#include "model/weight_repack.h"

namespace dsinfer::model {

struct LlamaLayerWeights {
  std::vector<float> attn_norm;
  kernels::WeightView wq, wk, wv, wo;
  std::vector<float> bq, bk, bv;  // empty when absent (llama)
  std::vector<float> ffn_norm;
  FfnWeights ffn;
};

// Registry rows (model/architecture.h) of "llama" and "qwen2".
extern const Architecture kLlamaArchitecture;
extern const Architecture kQwen2Architecture;

class LlamaModel final : public Model {
 public:
  // Binds every weight of `file` (checked) and allocates the KV pool. Throws like load_model.
  LlamaModel(std::shared_ptr<const gguf::GgufFile> file, const std::string& arch,
             const ModelOptions& options, kernels::ExecContext& ctx);

  const ModelInfo& info() const override { return info_; }
  int64_t kv_block_size() const override { return kv_->block_size(); }
  int64_t kv_block_count() const override { return kv_->n_blocks(); }
  int64_t ctx_size() const override { return ctx_size_; }
  Logits forward(const Batch& batch) override;

  const TransformerHparams& hparams() const { return hp_; }

 private:
  void bind_weights();
  void repack_weights();

  std::shared_ptr<const gguf::GgufFile> file_;
  kernels::ExecContext& ctx_;
  WeightRepacker repacker_;
  TransformerHparams hp_;
  kernels::RopeConfig rope_;
  ModelInfo info_;
  int64_t ctx_size_ = 0;

  kernels::WeightView token_embd_;
  kernels::WeightView output_;  // token_embd_ when the file has no output.weight (tied)
  std::vector<float> output_norm_;
  std::vector<LlamaLayerWeights> layers_;
  std::unique_ptr<KvBlockPool> kv_;

  // Activation buffers reused across forward() calls.
  std::vector<float> x_, cur_, q_, k_, v_, attn_, proj_, gathered_;
  std::vector<uint16_t> kv_row_;
  FfnScratch ffn_scratch_;
};

}  // namespace dsinfer::model
