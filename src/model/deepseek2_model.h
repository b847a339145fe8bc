// The deepseek2 decoder (DeepSeek-V2 / V2-Lite / V3): Multi-head Latent Attention over a paged
// cache of compressed latents + RoPE keys, and mixture-of-experts FFNs after leading dense layers.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "kernels/rope.h"
#include "model/architecture.h"
#include "model/deepseek2_hparams.h"
#include "model/deepseek2_moe.h"
#include "model/ffn.h"
#include "model/kv_block_pool.h"
#include "model/model.h"
#include "model/weight_repack.h"

namespace dsinfer::model {

struct Deepseek2LayerWeights {
  std::vector<float> attn_norm;
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
  std::vector<float> ffn_norm;
  FfnWeights dense;  // leading dense layers
  MoeWeights moe;    // MoE layers
};

// Registry row (model/architecture.h) of "deepseek2".
extern const Architecture kDeepseek2Architecture;

class Deepseek2Model final : public Model {
 public:
  // Binds every weight of `file` (checked) and allocates the latent KV pool. Throws like
  // load_model.
  Deepseek2Model(std::shared_ptr<const gguf::GgufFile> file, const ModelOptions& options,
                 kernels::ExecContext& ctx);

  const ModelInfo& info() const override { return info_; }
  int64_t kv_block_size() const override { return kv_->block_size(); }
  int64_t kv_block_count() const override { return kv_->n_blocks(); }
  int64_t ctx_size() const override { return ctx_size_; }
  Logits forward(const Batch& batch) override;

  const Deepseek2Hparams& hparams() const { return hp_; }
  // Bytes the KV pool allocates per token (all layers), computed from the pool itself.
  int64_t kv_pool_bytes_per_token() const {
    return kv_->total_bytes() / (kv_->n_blocks() * kv_->block_size());
  }

 private:
  void bind_weights();
  void repack_weights();
  void bind_kv_up_projections(int64_t layer, Deepseek2LayerWeights& l);
  // Runs fn(head, one-thread view of ctx_) for every head, heads spread over ctx_'s threads (one
  // hand-off for all heads instead of one per head).
  void for_each_head(const std::function<void(int64_t head, kernels::ExecContext& one)>& fn);
  void attention(const Deepseek2LayerWeights& l, int64_t layer, int64_t n,
                 const std::vector<int64_t>& positions, const std::vector<int64_t>& kv_block,
                 const std::vector<int64_t>& kv_slot, std::vector<kernels::AttentionTask>& tasks);

  std::shared_ptr<const gguf::GgufFile> file_;
  kernels::ExecContext& ctx_;
  WeightRepacker repacker_;
  Deepseek2Hparams hp_;
  Deepseek2Scales scales_;
  MoeRouting routing_;
  ModelInfo info_;
  int64_t ctx_size_ = 0;

  kernels::WeightView token_embd_;
  kernels::WeightView output_;
  std::vector<float> output_norm_;
  std::vector<Deepseek2LayerWeights> layers_;
  std::unique_ptr<KvBlockPool> kv_;

  // Activation buffers reused across forward() calls.
  std::vector<float> x_, cur_, qa_, q_, kv_lat_, q_abs_, attn_lat_, attn_v_, proj_, gathered_;
  FfnScratch ffn_scratch_;
  MoeScratch moe_scratch_;
};

}  // namespace dsinfer::model
