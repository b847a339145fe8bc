// Logical device creation (features the shaders need), memory allocation and queue submission.
#include "vulkan/vulkan_device.h"

#include <string>
#include <vector>

#include "base/error.h"
#include "vulkan/vk_error.h"

namespace dsinfer::vulkan {
namespace {

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace

VulkanDevice::VulkanDevice(VulkanInstance& instance, int index) : instance_(instance) {
  const auto devices = instance.physical_devices();
  if (index < 0 || static_cast<size_t>(index) >= devices.size()) {
    fail(ErrorKind::kInvalidInput, "Vulkan device {} does not exist ({} device(s) found)", index,
         devices.size());
  }
  physical_ = devices[static_cast<size_t>(index)];
  info_ = instance.describe(physical_, index);

  VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  f11.pNext = &f12;
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &f11;
  vkGetPhysicalDeviceFeatures2(physical_, &features);
  std::string missing;
  if (!f11.storageBuffer16BitAccess) missing += " storageBuffer16BitAccess";
  if (!f12.storageBuffer8BitAccess) missing += " storageBuffer8BitAccess";
  if (!f12.shaderInt8) missing += " shaderInt8";
  if (!f12.shaderFloat16) missing += " shaderFloat16";
  if (!missing.empty()) {
    fail(ErrorKind::kUnsupported, "Vulkan device {} ({}) lacks features:{}", index, info_.name,
         missing);
  }
  // Enable exactly what the shaders use.
  VkPhysicalDeviceVulkan11Features want11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  VkPhysicalDeviceVulkan12Features want12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  want11.pNext = &want12;
  want11.storageBuffer16BitAccess = VK_TRUE;
  want12.storageBuffer8BitAccess = VK_TRUE;
  want12.shaderInt8 = VK_TRUE;
  want12.shaderFloat16 = VK_TRUE;

  uint32_t n_families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &n_families, nullptr);
  std::vector<VkQueueFamilyProperties> families(n_families);
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &n_families, families.data());
  bool found = false;
  for (uint32_t i = 0; i < n_families && !found; ++i) {
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      queue_family_ = i;
      found = true;
    }
  }
  if (!found) {
    fail(ErrorKind::kUnsupported, "Vulkan device {} ({}) has no compute queue", index, info_.name);
  }
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue_info.queueFamilyIndex = queue_family_;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;
  VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  info.pNext = &want11;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue_info;
  vk_check(vkCreateDevice(physical_, &info, nullptr, &device_), "vkCreateDevice");
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool_info.queueFamilyIndex = queue_family_;
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  try {
    vk_check(vkCreateCommandPool(device_, &pool_info, nullptr, &pool_), "vkCreateCommandPool");
    vk_check(vkCreateFence(device_, &fence_info, nullptr, &fence_), "vkCreateFence");
  } catch (...) {
    if (pool_ != VK_NULL_HANDLE) vkDestroyCommandPool(device_, pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
    throw;
  }

  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(physical_, &props);
  max_storage_range_ = props.limits.maxStorageBufferRange;
  storage_alignment_ = props.limits.minStorageBufferOffsetAlignment;
  vkGetPhysicalDeviceMemoryProperties(physical_, &memory_props_);
}

VulkanDevice::~VulkanDevice() {
  vkDeviceWaitIdle(device_);
  vkDestroyFence(device_, fence_, nullptr);
  vkDestroyCommandPool(device_, pool_, nullptr);
  vkDestroyDevice(device_, nullptr);
}

VkDeviceMemory VulkanDevice::allocate(const VkMemoryRequirements& req, bool host_visible,
                                      const std::string& what) {
  const VkMemoryPropertyFlags want =
      host_visible ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
                   : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  uint32_t type = UINT32_MAX;
  for (uint32_t i = 0; i < memory_props_.memoryTypeCount && type == UINT32_MAX; ++i) {
    if ((req.memoryTypeBits & (1u << i)) != 0 &&
        (memory_props_.memoryTypes[i].propertyFlags & want) == want) {
      type = i;
    }
  }
  if (type == UINT32_MAX) {
    fail(ErrorKind::kUnsupported, "Vulkan device {} has no {} memory type for {}", info_.name,
         host_visible ? "host-visible" : "device-local", what);
  }
  if (!host_visible) require_fits(req.size, what);
  VkMemoryAllocateInfo info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  info.allocationSize = req.size;
  info.memoryTypeIndex = type;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  const VkResult r = vkAllocateMemory(device_, &info, nullptr, &memory);
  if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY) {
    fail(ErrorKind::kUnavailable,
         "{} needs {:.1f} MiB of Vulkan memory; {} refused ({}; {:.1f} MiB of {:.1f} MiB in use)",
         what, mib(req.size), info_.name, vk_result_name(r), mib(memory_used_bytes()),
         mib(memory_total_bytes()));
  }
  vk_check(r, "vkAllocateMemory");
  used_.fetch_add(req.size, std::memory_order_relaxed);
  return memory;
}

void VulkanDevice::release(VkDeviceMemory memory, uint64_t bytes) {
  if (memory == VK_NULL_HANDLE) return;
  vkFreeMemory(device_, memory, nullptr);
  used_.fetch_sub(bytes, std::memory_order_relaxed);
}

void VulkanDevice::require_fits(uint64_t bytes, const std::string& what) const {
  const uint64_t used = memory_used_bytes();
  const uint64_t total = memory_total_bytes();
  if (bytes > total || used > total - bytes) {
    fail(ErrorKind::kUnavailable,
         "{} needs {:.1f} MiB of device memory; Vulkan device {} ({}) has {:.1f} MiB, {:.1f} MiB "
         "in use",
         what, mib(bytes), info_.index, info_.name, mib(total), mib(used));
  }
}

void VulkanDevice::run_once(const std::function<void(VkCommandBuffer)>& record) {
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = pool_;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  {
    // The pool is externally synchronised: allocation and freeing under the queue lock.
    std::lock_guard lock(queue_mutex_);
    vk_check(vkAllocateCommandBuffers(device_, &alloc, &cmd), "vkAllocateCommandBuffers");
  }
  struct Free {
    VulkanDevice* d;
    VkCommandBuffer c;
    ~Free() {
      std::lock_guard lock(d->queue_mutex_);
      vkFreeCommandBuffers(d->device_, d->pool_, 1, &c);
    }
  } free_cmd{this, cmd};
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vk_check(vkBeginCommandBuffer(cmd, &begin), "vkBeginCommandBuffer");
  record(cmd);
  vk_check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
  submit_and_wait(cmd);
}

void VulkanDevice::submit_and_wait(VkCommandBuffer cmd) {
  std::lock_guard lock(queue_mutex_);
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  vk_check(vkResetFences(device_, 1, &fence_), "vkResetFences");
  vk_check(vkQueueSubmit(queue_, 1, &submit, fence_), "vkQueueSubmit");
  vk_check(vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
}

}  // namespace dsinfer::vulkan
