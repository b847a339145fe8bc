// Records one step's compute dispatches into a command buffer and runs them: the unit of work
// the device backend submits (one forward step = one submission).
#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <vector>

#include <vulkan/vulkan.h>

#include "vulkan/compute_pipeline.h"
#include "vulkan/device_buffer.h"

namespace dsinfer::vulkan {

// Not thread-safe: one recorder per thread that records. Usage:
//   rec.begin(); ops...(rec, ...); rec.submit_and_wait();
// Every dispatch is followed by a compute->compute memory barrier, so each op sees the writes
// of the ops recorded before it.
class CommandRecorder {
 public:
  explicit CommandRecorder(PipelineSet& pipelines);
  ~CommandRecorder();
  CommandRecorder(const CommandRecorder&) = delete;
  CommandRecorder& operator=(const CommandRecorder&) = delete;

  VulkanDevice& device() const { return pipelines_.device(); }
  PipelineSet& pipelines() const { return pipelines_; }

  // Starts a new recording; an unfinished one (abandoned when an op threw) is discarded.
  void begin();
  // Records pipeline `shader` over `buffers` (binding i = buffers[i]) with `push` constants and
  // groups (gx, gy, gz). Checks each slice's alignment and range against the device's limits
  // (Error(kInternal): a caller's bug) and the group counts against the device's maximum.
  void dispatch(const ComputePipeline& pipeline, std::initializer_list<BufferSlice> buffers,
                const void* push, uint32_t push_bytes, uint32_t gx, uint32_t gy = 1,
                uint32_t gz = 1);
  // Copies `bytes` of host data (small per-step tables: positions' cos/sin, block tables) into
  // host-visible memory that stays valid until the next begin(); returns its slice.
  BufferSlice stage(const void* data, size_t bytes);
  // Records a copy of src.bytes bytes from src to dst (dst.bytes >= src.bytes; offsets multiples
  // of 4), followed by a barrier that makes it visible to the dispatches recorded after it.
  void copy(const BufferSlice& src, const BufferSlice& dst);
  // Ends the recording, submits it and waits for the device to finish.
  void submit_and_wait();
  bool recording() const { return recording_; }
  uint32_t dispatch_count() const { return dispatches_; }

 private:
  VkDescriptorSet allocate_set(VkDescriptorSetLayout layout);

  PipelineSet& pipelines_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> descriptor_pools_;
  std::deque<DeviceBuffer> staging_;  // chunks for stage() (stable addresses); the last one fills
  size_t staging_used_ = 0;
  size_t current_pool_ = 0;
  uint32_t max_groups_[3] = {0, 0, 0};
  uint32_t dispatches_ = 0;
  bool recording_ = false;
};

}  // namespace dsinfer::vulkan
