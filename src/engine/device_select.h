// Where a model runs: the --device setting ("cpu", "vulkan", "vulkan:N"; env DSINFER_DEVICE)
// parsed, and the model loaded onto that device. The engine itself never asks which device it
// is: every backend implements model::Model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "model/model.h"

namespace dsinfer::engine {

struct DeviceSpec {
  enum class Kind { kCpu, kVulkan };
  Kind kind = Kind::kCpu;
  int index = 0;  // the N of vulkan:N
};

// Parses "cpu", "vulkan" (= vulkan:0) or "vulkan:N" (N a decimal device index). Throws
// Error(kInvalidInput) quoting the text and the accepted forms.
DeviceSpec parse_device(const std::string& text);

// The memory of `device` in bytes (a Vulkan device's device-local heaps), or 0 for the CPU or a
// device that cannot be found (loading it then fails with the reason).
int64_t device_memory_bytes(const DeviceSpec& device);

// Loads `file` for `device`: model::load_model on the CPU, vulkan::load_device_model on a
// Vulkan device (which refuses, at load, a model that does not fit the device's memory, a
// missing device or driver, and an architecture it does not run). Throws like those.
std::unique_ptr<model::Model> load_model_on(const DeviceSpec& device,
                                            std::shared_ptr<const gguf::GgufFile> file,
                                            const model::ModelOptions& options,
                                            kernels::ExecContext& ctx);

}  // namespace dsinfer::engine
