// Device listing of a build without the Vulkan backend (DSINFER_VULKAN=OFF).
#include "vulkan/device_list.h"

namespace dsinfer::vulkan {

VulkanDeviceList list_vulkan_devices() {
  return {{}, "this build has no Vulkan backend (configured with DSINFER_VULKAN=OFF)"};
}

std::string vulkan_devices_text() { return "Vulkan: none (" + list_vulkan_devices().note + ")"; }

}  // namespace dsinfer::vulkan
