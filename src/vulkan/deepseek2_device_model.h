// The deepseek2 decoder (DeepSeek-V2 / V2-Lite / V3) on a Vulkan device: the same maths as
// model::Deepseek2Model (model/deepseek2_model.h) — Multi-head Latent Attention over the latent
// KV cache in the paged device pool, mixture-of-experts FFNs after leading dense layers —
// recorded into DeviceDecoder's step.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/deepseek2_hparams.h"
#include "vulkan/device_decoder.h"
#include "vulkan/device_ffn.h"

namespace dsinfer::vulkan {

// In device memory: every layer matrix as stored (the per-head KV up-projections attn_k_b /
// attn_v_b as one stacked weight each, experts stacked per projection), the latent KV pool (one
// F16 row of kv_lora_rank + rope dims per token and layer) and the activations.
class Deepseek2DeviceModel final : public DeviceDecoder {
 public:
  // Throws like load_device_model.
  Deepseek2DeviceModel(std::shared_ptr<const gguf::GgufFile> file,
                       const model::ModelOptions& options, kernels::ExecContext& ctx,
                       const DeviceModelOptions& device);

 private:
  Deepseek2DeviceModel(std::shared_ptr<const gguf::GgufFile> file,
                       const model::Deepseek2Hparams& hp, const model::ModelOptions& options,
                       kernels::ExecContext& ctx, const DeviceModelOptions& device);

  struct Layer {
    DeviceWeight wq;          // plain query path (q_lora_rank == 0)
    DeviceWeight wq_a, wq_b;  // low-rank query path
    DeviceBuffer q_a_norm;
    DeviceWeight wkv_a;  // [n_embd -> kv_lora_rank + rope dims]
    DeviceBuffer kv_a_norm;
    DeviceWeight wk_b, wv_b;  // n_head stacked: [nope -> kv_lora_rank], [kv_lora_rank -> v]
    DeviceWeight wo;
    DeviceFfn dense;  // leading dense layers
    DeviceMoe moe;    // MoE layers
  };

  void bind_layer(const model::WeightBinder& b, int64_t layer, UploadList& uploads) override;
  int64_t layer_weight_bytes_per_token() const override;
  int64_t activation_floats_per_row() const override;
  void allocate_activations(size_t part, int64_t rows) override;
  void record_attention(CommandRecorder& rec, int64_t layer, const Step& step) override;
  void record_ffn(CommandRecorder& rec, int64_t layer, const Step& step) override;

  model::Deepseek2Hparams hp_;
  model::Deepseek2Scales scales_;
  DeviceMoeRouting routing_;
  std::vector<Layer> layers_;

  struct Activations {
    DeviceBuffer qa, q, kv_lat, q_abs, attn_lat, attn_v, gate, up;
    DeviceBuffer head_ids;  // int32 [rows * n_head]: pair p = (token, head) -> head p % n_head
    DeviceBuffer moe_logits, moe_ids, moe_weights, moe_gate, moe_up, moe_out, sh_gate, sh_up,
        sh_out;
  };
  std::vector<Activations> acts_;  // per device part
};

}  // namespace dsinfer::vulkan
