// Which architectures the Vulkan backend runs, and the model for each.
#include "vulkan/device_model.h"

#include "base/error.h"
#include "model/architecture.h"
#include "vulkan/deepseek2_device_model.h"
#include "vulkan/llama_device_model.h"

namespace dsinfer::vulkan {

std::unique_ptr<model::Model> load_device_model(std::shared_ptr<const gguf::GgufFile> file,
                                                const model::ModelOptions& options,
                                                kernels::ExecContext& ctx,
                                                const DeviceModelOptions& device) {
  // The registry validates the architecture name (and its hyper-parameters) first, so an
  // unknown architecture fails exactly as on the CPU.
  const std::string arch = model::architecture_of(*file).name;
  model::read_architecture_facts(*file);
  if (arch == "llama" || arch == "qwen2") {
    return std::make_unique<LlamaDeviceModel>(std::move(file), arch, options, ctx, device);
  }
  if (arch == "deepseek2") {
    return std::make_unique<Deepseek2DeviceModel>(std::move(file), options, ctx, device);
  }
  fail(ErrorKind::kUnsupported,
       "{}: the Vulkan backend runs llama, qwen2 and deepseek2 models, not {}; run it with "
       "--device cpu",
       file->path(), arch);
}

}  // namespace dsinfer::vulkan
