// The llama-family decoder ("llama", "qwen2") on a Vulkan device: the same maths as
// model::LlamaModel (model/llama_model.h), recorded into DeviceDecoder's step.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/rope.h"
#include "vulkan/device_decoder.h"
#include "vulkan/device_ffn.h"

namespace dsinfer::vulkan {

// In device memory: every layer matrix (as stored) and bias, the KV pool (one K and one V
// buffer per layer, F16) and the activations; see DeviceDecoder for the rest.
class LlamaDeviceModel final : public DeviceDecoder {
 public:
  // Throws like load_device_model.
  LlamaDeviceModel(std::shared_ptr<const gguf::GgufFile> file, const std::string& arch,
                   const model::ModelOptions& options, kernels::ExecContext& ctx,
                   const DeviceModelOptions& device);

 private:
  LlamaDeviceModel(std::shared_ptr<const gguf::GgufFile> file, const model::TransformerHparams& hp,
                   const model::ModelOptions& options, kernels::ExecContext& ctx,
                   const DeviceModelOptions& device);

  struct Layer {
    DeviceWeight wq, wk, wv, wo;
    DeviceBuffer bq, bk, bv;  // empty (no buffer) when absent (llama)
    DeviceFfn ffn;
  };

  void bind_layer(const model::WeightBinder& b, int64_t layer, UploadList& uploads) override;
  int64_t layer_weight_bytes_per_token() const override;
  int64_t activation_floats_per_row() const override;
  void allocate_activations(size_t part, int64_t rows) override;
  void record_attention(CommandRecorder& rec, int64_t layer, const Step& step) override;
  void record_ffn(CommandRecorder& rec, int64_t layer, const Step& step) override;

  model::TransformerHparams hp_;
  kernels::RopeConfig rope_;
  std::vector<Layer> layers_;
  struct Activations {
    DeviceBuffer q, k, v, att, gate, up;
  };
  std::vector<Activations> acts_;  // per device part
};

}  // namespace dsinfer::vulkan
