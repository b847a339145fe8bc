// Compute pipelines built from the embedded shaders, created once per device and name.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <vulkan/vulkan.h>

#include "vulkan/vulkan_device.h"

namespace dsinfer::vulkan {

// One shader's pipeline: `n_buffers` storage buffers at bindings 0..n_buffers-1 of set 0 and
// `push_bytes` bytes of push constants.
class ComputePipeline {
 public:
  ComputePipeline(VulkanDevice& device, const std::string& shader, uint32_t n_buffers,
                  uint32_t push_bytes);
  ~ComputePipeline();
  ComputePipeline(const ComputePipeline&) = delete;
  ComputePipeline& operator=(const ComputePipeline&) = delete;

  VkPipeline handle() const { return pipeline_; }
  VkPipelineLayout layout() const { return layout_; }
  VkDescriptorSetLayout set_layout() const { return set_layout_; }
  uint32_t n_buffers() const { return n_buffers_; }
  uint32_t push_bytes() const { return push_bytes_; }
  const std::string& name() const { return name_; }

 private:
  VulkanDevice& device_;
  std::string name_;
  uint32_t n_buffers_;
  uint32_t push_bytes_;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
};

// Pipelines of one device by shader name, created on first use. Thread-safe.
class PipelineSet {
 public:
  explicit PipelineSet(VulkanDevice& device) : device_(device) {}
  VulkanDevice& device() const { return device_; }
  // Throws Error(kInternal) when an existing pipeline was made with other counts.
  const ComputePipeline& get(const std::string& shader, uint32_t n_buffers, uint32_t push_bytes);

 private:
  VulkanDevice& device_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<ComputePipeline>, std::less<>> pipelines_;
};

}  // namespace dsinfer::vulkan
