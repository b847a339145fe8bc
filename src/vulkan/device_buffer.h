// Buffers in a Vulkan device's memory, slices of them that shaders bind, and copies between
// host memory and the device (through a host-visible staging buffer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <vulkan/vulkan.h>

#include "vulkan/vulkan_device.h"

namespace dsinfer::vulkan {

// A storage buffer of `bytes` bytes in device-local memory (or host-visible memory when
// `host_visible`, then mapped for the buffer's lifetime). Move-only; frees its memory (and the
// device's account of it) when destroyed. `what` names it in out-of-memory errors. The device
// must outlive the buffer.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(VulkanDevice& device, size_t bytes, const std::string& what,
               bool host_visible = false);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  VkBuffer handle() const { return buffer_; }
  size_t size() const { return size_; }
  VulkanDevice* device() const { return device_; }
  // Host pointer of a host-visible buffer; nullptr otherwise.
  void* mapped() const { return mapped_; }

 private:
  void reset();

  VulkanDevice* device_ = nullptr;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  uint64_t memory_bytes_ = 0;
  size_t size_ = 0;
  void* mapped_ = nullptr;
};

// A byte range of a buffer: what one shader binding sees. `offset` must be a multiple of the
// device's storage_offset_alignment() and `bytes` at most its max_storage_range().
struct BufferSlice {
  const DeviceBuffer* buffer = nullptr;
  size_t offset = 0;
  size_t bytes = 0;
};

// The whole of `buffer` as a slice.
inline BufferSlice whole(const DeviceBuffer& buffer) { return {&buffer, 0, buffer.size()}; }

// Copies `bytes` from host memory into `dst` at `offset`, and back; synchronous (waits for the
// device). Throws Error(kInvalidInput) for a range outside the buffer.
void upload(DeviceBuffer& dst, size_t offset, const void* src, size_t bytes);
void download(const DeviceBuffer& src, size_t offset, void* dst, size_t bytes);

}  // namespace dsinfer::vulkan

namespace dsinfer::vulkan {

// Float rows in a buffer: element (r, i) is float number offset + r * ld + i of `slice`.
struct FloatRows {
  BufferSlice slice;
  int64_t offset = 0;
  int64_t ld = 0;
};

}  // namespace dsinfer::vulkan
