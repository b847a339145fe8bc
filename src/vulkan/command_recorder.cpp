// Command buffer, descriptor pools and barriers of one recorder.
#include "vulkan/command_recorder.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "vulkan/vk_error.h"

namespace dsinfer::vulkan {
namespace {

constexpr uint32_t kSetsPerPool = 256;
constexpr uint32_t kBuffersPerPool = kSetsPerPool * 8;
constexpr size_t kStagingChunk = size_t{1} << 20;

}  // namespace

CommandRecorder::CommandRecorder(PipelineSet& pipelines) : pipelines_(pipelines) {
  VulkanDevice& dev = pipelines.device();
  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool_info.queueFamilyIndex = dev.queue_family();
  vk_check(vkCreateCommandPool(dev.handle(), &pool_info, nullptr, &pool_), "vkCreateCommandPool");
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = pool_;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  const VkResult r = vkAllocateCommandBuffers(dev.handle(), &alloc, &cmd_);
  if (r != VK_SUCCESS) {
    vkDestroyCommandPool(dev.handle(), pool_, nullptr);
    vk_check(r, "vkAllocateCommandBuffers");
  }
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(dev.physical(), &props);
  for (int i = 0; i < 3; ++i) max_groups_[i] = props.limits.maxComputeWorkGroupCount[i];
}

CommandRecorder::~CommandRecorder() {
  const VkDevice dev = device().handle();
  for (VkDescriptorPool p : descriptor_pools_) vkDestroyDescriptorPool(dev, p, nullptr);
  vkFreeCommandBuffers(dev, pool_, 1, &cmd_);
  vkDestroyCommandPool(dev, pool_, nullptr);
}

void CommandRecorder::begin() {
  // A recording abandoned by an exception is discarded: resetting a command buffer in the
  // recording state is valid (the pool allows per-buffer reset), and nothing of it was submitted.
  recording_ = false;
  for (VkDescriptorPool p : descriptor_pools_) {
    vk_check(vkResetDescriptorPool(device().handle(), p, 0), "vkResetDescriptorPool");
  }
  current_pool_ = 0;
  dispatches_ = 0;
  if (staging_.size() > 1) staging_.erase(staging_.begin(), staging_.end() - 1);
  staging_used_ = 0;
  vk_check(vkResetCommandBuffer(cmd_, 0), "vkResetCommandBuffer");
  VkCommandBufferBeginInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vk_check(vkBeginCommandBuffer(cmd_, &info), "vkBeginCommandBuffer");
  recording_ = true;
}

VkDescriptorSet CommandRecorder::allocate_set(VkDescriptorSetLayout layout) {
  const VkDevice dev = device().handle();
  for (;;) {
    if (current_pool_ == descriptor_pools_.size()) {
      const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kBuffersPerPool};
      VkDescriptorPoolCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
      info.maxSets = kSetsPerPool;
      info.poolSizeCount = 1;
      info.pPoolSizes = &size;
      VkDescriptorPool pool = VK_NULL_HANDLE;
      vk_check(vkCreateDescriptorPool(dev, &info, nullptr, &pool), "vkCreateDescriptorPool");
      descriptor_pools_.push_back(pool);
    }
    VkDescriptorSetAllocateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    info.descriptorPool = descriptor_pools_[current_pool_];
    info.descriptorSetCount = 1;
    info.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    const VkResult r = vkAllocateDescriptorSets(dev, &info, &set);
    if (r == VK_SUCCESS) return set;
    if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL) {
      vk_check(r, "vkAllocateDescriptorSets");
    }
    ++current_pool_;  // this pool is full: the next one (created above when needed)
  }
}

void CommandRecorder::dispatch(const ComputePipeline& pipeline,
                               std::initializer_list<BufferSlice> buffers, const void* push,
                               uint32_t push_bytes, uint32_t gx, uint32_t gy, uint32_t gz) {
  if (!recording_)
    fail(ErrorKind::kInternal, "Vulkan dispatch of {} outside begin()", pipeline.name());
  if (buffers.size() != pipeline.n_buffers() || push_bytes != pipeline.push_bytes()) {
    fail(ErrorKind::kInternal,
         "Vulkan dispatch of {}: {} buffers/{} push bytes, pipeline has {}/{}", pipeline.name(),
         buffers.size(), push_bytes, pipeline.n_buffers(), pipeline.push_bytes());
  }
  if (gx == 0 || gy == 0 || gz == 0) return;  // nothing to do
  if (gx > max_groups_[0] || gy > max_groups_[1] || gz > max_groups_[2]) {
    fail(ErrorKind::kInternal,
         "Vulkan dispatch of {}: groups {}x{}x{} exceed the device's {}x{}x{}", pipeline.name(), gx,
         gy, gz, max_groups_[0], max_groups_[1], max_groups_[2]);
  }
  const VulkanDevice& dev = device();
  std::vector<VkDescriptorBufferInfo> infos;
  infos.reserve(buffers.size());
  for (const BufferSlice& s : buffers) {
    if (s.buffer == nullptr || s.bytes == 0 || s.offset % dev.storage_offset_alignment() != 0 ||
        s.bytes > dev.max_storage_range() || s.offset > s.buffer->size() ||
        s.bytes > s.buffer->size() - s.offset) {
      fail(ErrorKind::kInternal,
           "Vulkan dispatch of {}: binding {} is not a valid slice (offset {}, {} bytes; buffer "
           "{} bytes, alignment {}, max range {})",
           pipeline.name(), infos.size(), s.offset, s.bytes, s.buffer ? s.buffer->size() : 0,
           dev.storage_offset_alignment(), dev.max_storage_range());
    }
    infos.push_back({s.buffer->handle(), s.offset, s.bytes});
  }
  const VkDescriptorSet set = allocate_set(pipeline.set_layout());
  std::vector<VkWriteDescriptorSet> writes(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = static_cast<uint32_t>(i);
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(dev.handle(), static_cast<uint32_t>(writes.size()), writes.data(), 0,
                         nullptr);
  vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle());
  vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0, 1, &set, 0,
                          nullptr);
  if (push_bytes > 0) {
    vkCmdPushConstants(cmd_, pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
  }
  vkCmdDispatch(cmd_, gx, gy, gz);
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier, 0, nullptr, 0,
                       nullptr);
  ++dispatches_;
}

BufferSlice CommandRecorder::stage(const void* data, size_t bytes) {
  const size_t align = device().storage_offset_alignment();
  const size_t size = std::max<size_t>(bytes, 4);
  size_t offset = (staging_used_ + align - 1) / align * align;
  if (staging_.empty() || offset + size > staging_.back().size()) {
    staging_.emplace_back(device(), std::max(kStagingChunk, size), "step tables", true);
    offset = 0;
  }
  std::memcpy(static_cast<char*>(staging_.back().mapped()) + offset, data, bytes);
  staging_used_ = offset + size;
  return {&staging_.back(), offset, size};
}

void CommandRecorder::copy(const BufferSlice& src, const BufferSlice& dst) {
  if (!recording_) fail(ErrorKind::kInternal, "Vulkan copy outside begin()");
  if (src.buffer == nullptr || dst.buffer == nullptr || src.bytes > dst.bytes ||
      src.offset % 4 != 0 || dst.offset % 4 != 0 || src.bytes % 4 != 0 ||
      src.offset + src.bytes > src.buffer->size() || dst.offset + dst.bytes > dst.buffer->size()) {
    fail(ErrorKind::kInternal, "Vulkan copy of {} bytes: not a valid pair of slices", src.bytes);
  }
  if (src.bytes == 0) return;
  const VkBufferCopy region{src.offset, dst.offset, src.bytes};
  vkCmdCopyBuffer(cmd_, src.buffer->handle(), dst.buffer->handle(), 1, &region);
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       0, 1, &barrier, 0, nullptr, 0, nullptr);
}

void CommandRecorder::submit_and_wait() {
  if (!recording_) fail(ErrorKind::kInternal, "CommandRecorder::submit_and_wait without begin()");
  recording_ = false;
  // Make shader and copy writes visible to later transfers (downloads) and host reads (the
  // logits; a layer split's residual hand-over, written by a copy).
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier,
                       0, nullptr, 0, nullptr);
  vk_check(vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
  device().submit_and_wait(cmd_);
}

}  // namespace dsinfer::vulkan
