// --device parsing and the per-device model loader.
#include "engine/device_select.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "base/error.h"
#include "vulkan/device_list.h"
#include "vulkan/device_model.h"

namespace dsinfer::engine {

DeviceSpec parse_device(const std::string& text) {
  constexpr size_t kMaxDevices = 8;
  DeviceSpec d;
  if (text == "cpu") return d;
  const std::string vk = "vulkan";
  if (text.compare(0, vk.size(), vk) == 0) {
    d.kind = DeviceSpec::Kind::kVulkan;
    if (text.size() == vk.size()) return d;
    if (text[vk.size()] == ':') {
      d.indices.clear();
      const char* p = text.data() + vk.size() + 1;
      const char* last = text.data() + text.size();
      bool ok = true;
      while (ok) {
        const char* comma = std::find(p, last, ',');
        int index = -1;
        const auto [end, ec] = std::from_chars(p, comma, index);
        ok = comma - p >= 1 && comma - p <= 3 && ec == std::errc() && end == comma && index >= 0 &&
             d.indices.size() < kMaxDevices;
        if (ok) d.indices.push_back(index);
        if (comma == last) break;
        p = comma + 1;
      }
      if (ok) return d;
    }
  }
  fail(ErrorKind::kInvalidInput,
       "--device '{}' is not a device: use cpu, vulkan, vulkan:N or vulkan:N,M,... (N = an index "
       "`dsinfer --version` lists; several split the layers, at most {})",
       text, kMaxDevices);
}

int64_t device_memory_bytes(const DeviceSpec& device) {
  if (device.kind == DeviceSpec::Kind::kCpu) return 0;
  const auto list = vulkan::list_vulkan_devices().devices;
  std::vector<int> seen;
  int64_t total = 0;
  for (const int index : device.indices) {
    if (std::find(seen.begin(), seen.end(), index) != seen.end()) continue;
    seen.push_back(index);
    const auto it =
        std::find_if(list.begin(), list.end(), [&](const auto& d) { return d.index == index; });
    if (it == list.end()) return 0;
    total += static_cast<int64_t>(it->memory_bytes);
  }
  return total;
}

std::unique_ptr<model::Model> load_model_on(const DeviceSpec& device,
                                            std::shared_ptr<const gguf::GgufFile> file,
                                            const model::ModelOptions& options,
                                            kernels::ExecContext& ctx) {
  if (device.kind == DeviceSpec::Kind::kCpu)
    return model::load_model(std::move(file), options, ctx);
  vulkan::DeviceModelOptions o;
  o.device_indices = device.indices;
  return vulkan::load_device_model(std::move(file), options, ctx, o);
}

}  // namespace dsinfer::engine
