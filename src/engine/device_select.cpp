// --device parsing and the per-device model loader.
#include "engine/device_select.h"

#include <charconv>

#include "base/error.h"
#include "vulkan/device_list.h"
#include "vulkan/device_model.h"

namespace dsinfer::engine {

DeviceSpec parse_device(const std::string& text) {
  DeviceSpec d;
  if (text == "cpu") return d;
  const std::string vk = "vulkan";
  if (text.compare(0, vk.size(), vk) == 0) {
    d.kind = DeviceSpec::Kind::kVulkan;
    if (text.size() == vk.size()) return d;
    if (text[vk.size()] == ':' && text.size() > vk.size() + 1 && text.size() <= vk.size() + 4) {
      const char* first = text.data() + vk.size() + 1;
      const char* last = text.data() + text.size();
      const auto [end, ec] = std::from_chars(first, last, d.index);
      if (ec == std::errc() && end == last && d.index >= 0) return d;
    }
  }
  fail(ErrorKind::kInvalidInput,
       "--device '{}' is not a device: use cpu, vulkan or vulkan:N (N = the index `dsinfer "
       "--version` lists)",
       text);
}

int64_t device_memory_bytes(const DeviceSpec& device) {
  if (device.kind == DeviceSpec::Kind::kCpu) return 0;
  for (const auto& d : vulkan::list_vulkan_devices().devices) {
    if (d.index == device.index) return static_cast<int64_t>(d.memory_bytes);
  }
  return 0;
}

std::unique_ptr<model::Model> load_model_on(const DeviceSpec& device,
                                            std::shared_ptr<const gguf::GgufFile> file,
                                            const model::ModelOptions& options,
                                            kernels::ExecContext& ctx) {
  if (device.kind == DeviceSpec::Kind::kCpu)
    return model::load_model(std::move(file), options, ctx);
  vulkan::DeviceModelOptions o;
  o.device_index = device.index;
  return vulkan::load_device_model(std::move(file), options, ctx, o);
}

}  // namespace dsinfer::engine
