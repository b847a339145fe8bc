// Where a model runs: the --device setting ("cpu", "vulkan", "vulkan:N", "vulkan:N,M,..."; env
// DSINFER_DEVICE) parsed, and the model loaded onto that device. The engine itself never asks which
// device it is: every backend implements model::Model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "model/model.h"

namespace dsinfer::engine {

struct DeviceSpec {
  enum class Kind { kCpu, kVulkan };
  Kind kind = Kind::kCpu;
  // The N of vulkan:N; several (vulkan:0,1) split the model's layers over those devices in
  // order. The same index twice opens that device twice (two logical devices: how the split is
  // tested on one GPU or lavapipe).
  std::vector<int> indices = {0};
};

// Parses "cpu", "vulkan" (= vulkan:0), "vulkan:N" or "vulkan:N,M,..." (N decimal device
// indices, at most 8). Throws Error(kInvalidInput) quoting the text and the accepted forms.
DeviceSpec parse_device(const std::string& text);

// The memory of `device` in bytes (a Vulkan device's device-local heaps; the sum over the
// distinct devices of a split), or 0 for the CPU or when a device cannot be found (loading it
// then fails with the reason).
int64_t device_memory_bytes(const DeviceSpec& device);

// Loads `file` for `device`: model::load_model on the CPU, vulkan::load_device_model on a
// Vulkan device (which refuses, at load, a model that does not fit the device's memory, a
// missing device or driver, and an architecture it does not run). Throws like those.
std::unique_ptr<model::Model> load_model_on(const DeviceSpec& device,
                                            std::shared_ptr<const gguf::GgufFile> file,
                                            const model::ModelOptions& options,
                                            kernels::ExecContext& ctx);

}  // namespace dsinfer::engine
