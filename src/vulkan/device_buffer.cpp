// DeviceBuffer allocation and the staged host <-> device copies.
#include "vulkan/device_buffer.h"

#include <cstring>
#include <utility>

#include "base/error.h"
#include "vulkan/vk_error.h"

namespace dsinfer::vulkan {

DeviceBuffer::DeviceBuffer(VulkanDevice& device, size_t bytes, const std::string& what,
                           bool host_visible)
    : device_(&device), size_(bytes) {
  if (bytes == 0) fail(ErrorKind::kInvalidInput, "Vulkan buffer for {} has size 0", what);
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = bytes;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  vk_check(vkCreateBuffer(device.handle(), &info, nullptr, &buffer_), "vkCreateBuffer");
  try {
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device.handle(), buffer_, &req);
    memory_ = device.allocate(req, host_visible, what);
    memory_bytes_ = req.size;
    vk_check(vkBindBufferMemory(device.handle(), buffer_, memory_, 0), "vkBindBufferMemory");
    if (host_visible) {
      vk_check(vkMapMemory(device.handle(), memory_, 0, VK_WHOLE_SIZE, 0, &mapped_), "vkMapMemory");
    }
  } catch (...) {
    reset();
    throw;
  }
}

DeviceBuffer::~DeviceBuffer() { reset(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept { *this = std::move(other); }

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    device_ = std::exchange(other.device_, nullptr);
    buffer_ = std::exchange(other.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    memory_bytes_ = std::exchange(other.memory_bytes_, 0);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, nullptr);
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (device_ == nullptr) return;
  if (mapped_ != nullptr) vkUnmapMemory(device_->handle(), memory_);
  if (buffer_ != VK_NULL_HANDLE) vkDestroyBuffer(device_->handle(), buffer_, nullptr);
  device_->release(memory_, memory_bytes_);
  device_ = nullptr;
  buffer_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
  mapped_ = nullptr;
  size_ = 0;
}

namespace {

void check_range(const DeviceBuffer& buffer, size_t offset, size_t bytes, const char* op) {
  if (buffer.device() == nullptr || offset > buffer.size() || bytes > buffer.size() - offset) {
    fail(ErrorKind::kInvalidInput, "Vulkan {}: bytes [{}, {}) outside a buffer of {} bytes", op,
         offset, offset + bytes, buffer.size());
  }
}

}  // namespace

void upload(DeviceBuffer& dst, size_t offset, const void* src, size_t bytes) {
  check_range(dst, offset, bytes, "upload");
  if (bytes == 0) return;
  if (dst.mapped() != nullptr) {
    std::memcpy(static_cast<char*>(dst.mapped()) + offset, src, bytes);
    return;
  }
  DeviceBuffer staging(*dst.device(), bytes, "upload staging", true);
  std::memcpy(staging.mapped(), src, bytes);
  dst.device()->run_once([&](VkCommandBuffer cmd) {
    const VkBufferCopy region{0, offset, bytes};
    vkCmdCopyBuffer(cmd, staging.handle(), dst.handle(), 1, &region);
  });
}

void download(const DeviceBuffer& src, size_t offset, void* dst, size_t bytes) {
  check_range(src, offset, bytes, "download");
  if (bytes == 0) return;
  if (src.mapped() != nullptr) {
    std::memcpy(dst, static_cast<const char*>(src.mapped()) + offset, bytes);
    return;
  }
  DeviceBuffer staging(*src.device(), bytes, "download staging", true);
  src.device()->run_once([&](VkCommandBuffer cmd) {
    const VkBufferCopy region{offset, 0, bytes};
    vkCmdCopyBuffer(cmd, src.handle(), staging.handle(), 1, &region);
  });
  std::memcpy(dst, staging.mapped(), bytes);
}

}  // namespace dsinfer::vulkan
