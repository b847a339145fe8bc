// One logical Vulkan device: its compute queue, command pool, memory types and the account of
// the device memory dsinfer has allocated on it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include <vulkan/vulkan.h>

#include "vulkan/device_list.h"
#include "vulkan/vulkan_instance.h"

namespace dsinfer::vulkan {

// Opens physical device `index` of `instance` (the N of --device vulkan:N) with one compute
// queue. Requires 8- and 16-bit storage buffers, int8 and float16 shader arithmetic (every
// desktop driver and lavapipe have them); throws Error(kUnsupported) naming what is missing, or
// Error(kInvalidInput) when `index` is out of range. `instance` must outlive the device.
// Queue submission is serialised internally; the other members are thread-safe.
class VulkanDevice {
 public:
  VulkanDevice(VulkanInstance& instance, int index);
  ~VulkanDevice();
  VulkanDevice(const VulkanDevice&) = delete;
  VulkanDevice& operator=(const VulkanDevice&) = delete;

  VkDevice handle() const { return device_; }
  VkPhysicalDevice physical() const { return physical_; }
  VulkanInstance& instance() const { return instance_; }
  const VulkanDeviceInfo& info() const { return info_; }
  uint32_t queue_family() const { return queue_family_; }
  VkCommandPool command_pool() const { return pool_; }

  // Largest range one storage-buffer binding may cover, and the alignment of binding offsets.
  uint64_t max_storage_range() const { return max_storage_range_; }
  uint64_t storage_offset_alignment() const { return storage_alignment_; }

  // Allocates memory for `req`: device-local (preferring host-visible too only when asked), or
  // host-visible and coherent when `host_visible`. Counts it in memory_used_bytes().
  // Throws Error(kUnavailable) with the device's numbers when it does not fit.
  VkDeviceMemory allocate(const VkMemoryRequirements& req, bool host_visible,
                          const std::string& what);
  void release(VkDeviceMemory memory, uint64_t bytes);

  // Bytes allocated by this process on the device, and the device-local heap size.
  uint64_t memory_used_bytes() const { return used_.load(std::memory_order_relaxed); }
  uint64_t memory_total_bytes() const { return info_.memory_bytes; }

  // Throws Error(kUnavailable) "<what> needs X MiB of device memory; <device> has Y MiB, Z MiB in
  // use" unless `bytes` more fit in the device-local heap. Loaders call it before uploading.
  void require_fits(uint64_t bytes, const std::string& what) const;

  // Records commands with `record` into a one-time command buffer, submits it and waits.
  void run_once(const std::function<void(VkCommandBuffer)>& record);
  // Submits `cmd` to the queue and waits for it to finish.
  void submit_and_wait(VkCommandBuffer cmd);

 private:
  VulkanInstance& instance_;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  uint64_t max_storage_range_ = 0;
  uint64_t storage_alignment_ = 1;
  VkPhysicalDeviceMemoryProperties memory_props_{};
  VulkanDeviceInfo info_;
  std::atomic<uint64_t> used_{0};
  std::mutex queue_mutex_;
};

}  // namespace dsinfer::vulkan
