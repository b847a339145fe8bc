// The Vulkan devices this process can see, for `dsinfer --version` and /health. Exists in every
// build: without Vulkan (DSINFER_VULKAN=OFF) the list is empty and the note says why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer::vulkan {

struct VulkanDeviceInfo {
  int index = 0;              // the N of --device vulkan:N
  std::string name;           // "NVIDIA A100-SXM4-80GB", "llvmpipe (LLVM 15.0.6, 256 bits)"
  std::string type;           // "discrete GPU", "integrated GPU", "CPU", ...
  std::string driver;         // driver name and info ("NVIDIA 535.104", "llvmpipe Mesa 22.3.6")
  std::string api_version;    // "1.3.230"
  uint64_t memory_bytes = 0;  // sum of the device-local memory heaps
};

struct VulkanDeviceList {
  std::vector<VulkanDeviceInfo> devices;
  std::string note;  // why the list is empty ("built without Vulkan", loader error), else ""
};

// Enumerates the physical devices through the Vulkan loader (no validation layers, no logical
// device). Never throws: failures end up in `note`. Thread-safe.
VulkanDeviceList list_vulkan_devices();

// One line per device ("vulkan:0 llvmpipe (...) [CPU, 1.3.230, llvmpipe Mesa 22.3.6, 15.6 GiB]"),
// or "Vulkan: none (<note>)".
std::string vulkan_devices_text();

}  // namespace dsinfer::vulkan
