// Device listing through the Vulkan loader (a throwaway instance without layers).
#include "vulkan/device_list.h"

#include <exception>
#include <string>

#include <fmt/format.h>

#include "vulkan/vulkan_instance.h"

namespace dsinfer::vulkan {

VulkanDeviceList list_vulkan_devices() {
  VulkanDeviceList list;
  try {
    VulkanInstance instance;
    const auto devices = instance.physical_devices();
    for (size_t i = 0; i < devices.size(); ++i) {
      list.devices.push_back(instance.describe(devices[i], static_cast<int>(i)));
    }
    if (devices.empty()) list.note = "the Vulkan loader found no device (no ICD installed?)";
  } catch (const std::exception& e) {
    list.note = std::string("no usable Vulkan driver (") + e.what() + ")";
  }
  return list;
}

std::string vulkan_devices_text() {
  const VulkanDeviceList list = list_vulkan_devices();
  if (list.devices.empty()) return "Vulkan: none (" + list.note + ")";
  std::string text = "Vulkan devices:";
  for (const auto& d : list.devices) {
    text += fmt::format("\n  vulkan:{} {} [{}, Vulkan {}, {}, {:.1f} GiB]", d.index, d.name, d.type,
                        d.api_version, d.driver,
                        static_cast<double>(d.memory_bytes) / (1024.0 * 1024.0 * 1024.0));
  }
  return text;
}

}  // namespace dsinfer::vulkan
