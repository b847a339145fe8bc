// The Vulkan instance: loader connection, optional Khronos validation layer whose messages are
// collected (tests fail on any), and the physical devices it sees.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "vulkan/device_list.h"

namespace dsinfer::vulkan {

struct InstanceOptions {
  // Enables VK_LAYER_KHRONOS_validation and records its warnings and errors; construction throws
  // Error(kUnsupported) when the layer is not installed (Debian: vulkan-validationlayers).
  bool validation = false;
};

// Owns the VkInstance (and the debug messenger when validating). Not copyable or movable: the
// messenger's callback points at this object. Thread-safe after construction.
class VulkanInstance {
 public:
  explicit VulkanInstance(const InstanceOptions& options = {});
  ~VulkanInstance();
  VulkanInstance(const VulkanInstance&) = delete;
  VulkanInstance& operator=(const VulkanInstance&) = delete;

  VkInstance handle() const { return instance_; }
  bool validating() const { return messenger_ != VK_NULL_HANDLE; }

  std::vector<VkPhysicalDevice> physical_devices() const;
  // Facts about physical device `index` of physical_devices().
  VulkanDeviceInfo describe(VkPhysicalDevice device, int index) const;

  // Validation warnings and errors seen so far (oldest first), and clearing them.
  std::vector<std::string> validation_messages() const;
  void clear_validation_messages();

 private:
  static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                   VkDebugUtilsMessageTypeFlagsEXT types,
                                                   const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                   void* self);

  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

}  // namespace dsinfer::vulkan
