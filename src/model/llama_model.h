// The llama-family decoder (architectures "llama" and "qwen2"): pre-norm attention with GQA and
// RoPE, SiLU-gated FFN; qwen2 adds Q/K/V biases and uses the NeoX RoPE layout.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernels/rope.h"
#include "model/architecture.h"
#include "model/decoder_model.h"
#include "model/ffn.h"
#include "model/hparams.h"

namespace dsinfer::model {

struct LlamaLayerWeights {
  kernels::WeightView wq, wk, wv, wo;
  std::vector<float> bq, bk, bv;  // empty when absent (llama)
  FfnWeights ffn;
};

// Binds (and checks) layer `layer`'s attention and FFN weights as stored in the file: the one
// binding of a llama/qwen2 layer, used by LlamaModel and the Vulkan backend's device model.
// Throws like WeightBinder.
LlamaLayerWeights bind_llama_layer(const WeightBinder& b, const TransformerHparams& hp,
                                   int64_t layer);

// Registry rows (model/architecture.h) of "llama" and "qwen2".
extern const Architecture kLlamaArchitecture;
extern const Architecture kQwen2Architecture;

class LlamaModel final : public DecoderModel {
 public:
  // Binds every weight of `file` (checked) and allocates the KV pool. Throws like load_model.
  LlamaModel(std::shared_ptr<const gguf::GgufFile> file, const std::string& arch,
             const ModelOptions& options, kernels::ExecContext& ctx);

  const TransformerHparams& hparams() const { return hp_; }

 private:
  LlamaModel(std::shared_ptr<const gguf::GgufFile> file, const TransformerHparams& hp,
             const ModelOptions& options, kernels::ExecContext& ctx);

  void bind_layer(const WeightBinder& b, int64_t layer) override;
  void repack_layers(WeightRepacker& r) override;
  int64_t layer_weight_bytes_per_token() const override;
  std::vector<kernels::AttentionTask> begin_step(const Batch& batch,
                                                 const BatchPlan& plan) override;
  void attention(int64_t layer, const BatchPlan& plan,
                 std::vector<kernels::AttentionTask>& tasks) override;
  void ffn(int64_t layer, int64_t n_tokens) override;

  TransformerHparams hp_;
  kernels::RopeConfig rope_;
  std::vector<LlamaLayerWeights> layers_;

  // Activations reused across forward() calls, in the context's memory.
  kernels::DeviceArray<float> q_, k_, v_, attn_;
  FfnScratch ffn_scratch_;
};

}  // namespace dsinfer::model
