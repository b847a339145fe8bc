// The deepseek2 decoder (DeepSeek-V2 / V2-Lite / V3): Multi-head Latent Attention over a paged
// cache of compressed latents + RoPE keys, and mixture-of-experts FFNs after leading dense layers.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "kernels/rope.h"
#include "model/architecture.h"
#include "model/decoder_model.h"
#include "model/deepseek2_hparams.h"
#include "model/deepseek2_moe.h"
#include "model/ffn.h"

namespace dsinfer::model {

struct Deepseek2LayerWeights {
  kernels::WeightView wq;    // plain query path (q_lora_rank == 0)
  kernels::WeightView wq_a;  // low-rank query path
  std::vector<float> q_a_norm;
  kernels::WeightView wq_b;
  kernels::WeightView wkv_a;  // [n_embd -> kv_lora_rank + rope dims]
  std::vector<float> kv_a_norm;
  std::vector<kernels::WeightView> wk_b;  // per head [nope -> kv_lora_rank]
  std::vector<kernels::WeightView> wv_b;  // per head [kv_lora_rank -> v dim]
  std::vector<float> wk_b_owned;          // F32 transposes of attn_kv_b (older files only)
  kernels::WeightView wo;
  FfnWeights dense;  // leading dense layers
  MoeWeights moe;    // MoE layers
};

// Binds (and checks) layer `layer`'s weights as stored in the file, either KV up-projection
// layout (see deepseek2_model.cpp): the one binding of a deepseek2 layer, used by
// Deepseek2Model and the Vulkan backend's device model. wk_b may point into wk_b_owned (moving
// the struct keeps them valid; copying does not). Throws like WeightBinder.
Deepseek2LayerWeights bind_deepseek2_layer(const WeightBinder& b, const Deepseek2Hparams& hp,
                                           int64_t layer);

// Registry row (model/architecture.h) of "deepseek2".
extern const Architecture kDeepseek2Architecture;

class Deepseek2Model final : public DecoderModel {
 public:
  // Binds every weight of `file` (checked) and allocates the latent KV pool. Throws like
  // load_model.
  Deepseek2Model(std::shared_ptr<const gguf::GgufFile> file, const ModelOptions& options,
                 kernels::ExecContext& ctx);

  const Deepseek2Hparams& hparams() const { return hp_; }

 private:
  Deepseek2Model(std::shared_ptr<const gguf::GgufFile> file, const Deepseek2Hparams& hp,
                 const ModelOptions& options, kernels::ExecContext& ctx);

  void bind_layer(const WeightBinder& b, int64_t layer) override;
  void repack_layers(WeightRepacker& r) override;
  int64_t layer_weight_bytes_per_token() const override;
  std::vector<kernels::AttentionTask> begin_step(const Batch& batch,
                                                 const BatchPlan& plan) override;
  void attention(int64_t layer, const BatchPlan& plan,
                 std::vector<kernels::AttentionTask>& tasks) override;
  void ffn(int64_t layer, int64_t n_tokens) override;
  // Runs fn(head, one-thread view of ctx()) for every head, heads spread over ctx()'s threads
  // (one hand-off for all heads instead of one per head).
  void for_each_head(const std::function<void(int64_t head, kernels::ExecContext& one)>& fn);

  Deepseek2Hparams hp_;
  Deepseek2Scales scales_;
  MoeRouting routing_;
  std::vector<Deepseek2LayerWeights> layers_;

  // Activations reused across forward() calls, in the context's memory.
  kernels::DeviceArray<float> qa_, q_, kv_lat_, q_abs_, attn_lat_, attn_v_;
  FfnScratch ffn_scratch_;
  MoeScratch moe_scratch_;
};

}  // namespace dsinfer::model
