// The llama-family decoder ("llama", "qwen2") on a Vulkan device: the same maths as
// model::LlamaModel (model/llama_model.h), recorded as one command buffer per forward step.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/rope.h"
#include "model/batch_plan.h"
#include "model/hparams.h"
#include "model/model.h"
#include "vulkan/command_recorder.h"
#include "vulkan/compute_pipeline.h"
#include "vulkan/device_buffer.h"
#include "vulkan/device_model.h"
#include "vulkan/device_weight.h"
#include "vulkan/vulkan_device.h"
#include "vulkan/vulkan_instance.h"

namespace dsinfer::vulkan {

// What lives in device memory: every layer matrix, norm and bias, the output norm and head, the
// KV pool (one K and one V buffer per layer, F16, addressed by the engine's block ids exactly as
// model::KvBlockPool) and the activations. The token-embedding table stays in the mapped file:
// a step gathers its rows on the host (n_tokens rows, dequantised) and copies them in as the
// first command of the step. Logits are written by the output matmul straight into host-visible
// memory, the one copy back per step. Not thread-safe (one engine thread), except
// device_status().
class LlamaDeviceModel final : public model::Model {
 public:
  // Throws like load_device_model.
  LlamaDeviceModel(std::shared_ptr<const gguf::GgufFile> file, const std::string& arch,
                   const model::ModelOptions& options, kernels::ExecContext& ctx,
                   const DeviceModelOptions& device);
  ~LlamaDeviceModel() override;

  const model::ModelInfo& info() const override { return info_; }
  int64_t kv_block_size() const override { return block_size_; }
  int64_t kv_block_count() const override { return n_blocks_; }
  int64_t ctx_size() const override { return ctx_size_; }
  model::Logits forward(const model::Batch& batch) override;
  model::DeviceStatus device_status() const override;

 private:
  struct Layer {
    DeviceWeight wq, wk, wv, wo, gate, up, down;
    DeviceBuffer attn_norm, ffn_norm;
    DeviceBuffer bq, bk, bv;  // empty (no device) when absent (llama)
    DeviceBuffer k_pool, v_pool;
  };
  // Activation buffers for `rows` token rows of a step (and `rows` logit rows); a step with
  // more rows than ModelOptions::max_step_tokens reallocates them (doubling).
  struct Activations {
    int64_t rows = 0;
    DeviceBuffer x, h, q, k, v, att, proj, gate, up, gathered;
    DeviceBuffer logits;  // host-visible
  };

  void bind_and_upload(const std::string& arch);
  Activations make_activations(int64_t rows);
  int64_t activation_bytes(int64_t rows) const;
  void check_validation(const char* when) const;

  std::shared_ptr<const gguf::GgufFile> file_;
  kernels::ExecContext& ctx_;
  model::TransformerHparams hp_;
  kernels::RopeConfig rope_;
  int64_t ctx_size_ = 0;
  int64_t block_size_ = 0;
  int64_t n_blocks_ = 0;
  int64_t step_rows_ = 1;  // token rows the activations are allocated for at load
  model::ModelInfo info_;

  // Declared before every buffer: destroyed after them.
  std::unique_ptr<VulkanInstance> instance_;
  std::unique_ptr<VulkanDevice> device_;
  std::unique_ptr<PipelineSet> pipelines_;
  std::unique_ptr<CommandRecorder> recorder_;

  kernels::WeightView token_embd_;  // in the mapped file
  std::vector<Layer> layers_;
  DeviceBuffer output_norm_;
  DeviceWeight output_;
  Activations act_;
  std::vector<float> embedded_;  // host rows of the step's tokens
};

}  // namespace dsinfer::vulkan
