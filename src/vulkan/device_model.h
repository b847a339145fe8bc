// Loading a model whose forward pass runs on a Vulkan device (the `--device vulkan[:N]` backend):
// the same model::Model interface as the CPU models, so the engine drives it unchanged.
#pragma once

#include <memory>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "model/model.h"

namespace dsinfer::vulkan {

struct DeviceModelOptions {
  // The N of --device vulkan:N; several split the layers over those devices in order (the same
  // index twice: one device opened twice, two logical devices).
  std::vector<int> device_indices = {0};
  bool validation = false;  // Khronos validation layer on; any message fails the step (tests)
};

// Opens Vulkan device `device_index`, uploads the weights (quantised stay quantised) and
// allocates the paged KV pool (options.kv_blocks blocks of options.kv_block_size tokens) and
// the activations for options.max_step_tokens tokens in device memory. `ctx` runs the host part
// (the token-embedding gather) and must outlive the model.
// Throws Error(kUnsupported) for an architecture the Vulkan backend does not run (it runs llama,
// qwen2 and deepseek2), a deepseek2 model beyond its MoE routing limits or a build without
// Vulkan, Error(kInvalidInput) for a device index out of range, Error(kUnavailable) with the
// numbers when the model does not fit the device's memory or no Vulkan driver is installed, and
// like model::load_model for a bad file.
std::unique_ptr<model::Model> load_device_model(std::shared_ptr<const gguf::GgufFile> file,
                                                const model::ModelOptions& options,
                                                kernels::ExecContext& ctx,
                                                const DeviceModelOptions& device);

}  // namespace dsinfer::vulkan
