// VkResult -> dsinfer::Error: every Vulkan call that can fail goes through vk_check.
#pragma once

#include <vulkan/vulkan.h>

namespace dsinfer::vulkan {

// "VK_ERROR_OUT_OF_DEVICE_MEMORY", ...; "VkResult(<n>)" for values it does not know.
const char* vk_result_name(VkResult result);

// Throws Error(kInternal) "Vulkan: <what> failed: <result name>" unless result is VK_SUCCESS
// (out-of-memory results become Error(kUnavailable) so callers can tell them apart;
// VK_ERROR_DEVICE_LOST becomes Error(kDeviceLost): the device cannot be used again, and the engine
// that sees it fails for good so that the process gets restarted).
void vk_check(VkResult result, const char* what);

}  // namespace dsinfer::vulkan
