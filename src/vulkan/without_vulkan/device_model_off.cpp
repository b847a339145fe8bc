// A build without Vulkan (DSINFER_VULKAN=OFF): --device vulkan fails with the reason.
#include "base/error.h"
#include "vulkan/device_model.h"

namespace dsinfer::vulkan {

std::unique_ptr<model::Model> load_device_model(std::shared_ptr<const gguf::GgufFile> file,
                                                const model::ModelOptions& /*options*/,
                                                kernels::ExecContext& /*ctx*/,
                                                const DeviceModelOptions& device) {
  fail(ErrorKind::kUnsupported,
       "{}: --device vulkan:{} needs a build with the Vulkan backend; this one was built with "
       "-DDSINFER_VULKAN=OFF (install libvulkan-dev and glslc, then rebuild)",
       file->path(), device.device_indices.front());
}

}  // namespace dsinfer::vulkan
