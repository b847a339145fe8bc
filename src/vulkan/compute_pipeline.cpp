// Pipeline, descriptor-set layout and shader module creation.
#include "vulkan/compute_pipeline.h"

#include <vector>

#include "base/error.h"
#include "vulkan/shader_library.h"
#include "vulkan/vk_error.h"

namespace dsinfer::vulkan {

ComputePipeline::ComputePipeline(VulkanDevice& device, const std::string& shader,
                                 uint32_t n_buffers, uint32_t push_bytes)
    : device_(device), name_(shader), n_buffers_(n_buffers), push_bytes_(push_bytes) {
  const EmbeddedShader& code = find_shader(shader);
  const VkDevice dev = device.handle();
  std::vector<VkDescriptorSetLayoutBinding> bindings(n_buffers);
  for (uint32_t i = 0; i < n_buffers; ++i) {
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = n_buffers;
  set_info.pBindings = bindings.data();
  VkShaderModule module = VK_NULL_HANDLE;
  try {
    vk_check(vkCreateDescriptorSetLayout(dev, &set_info, nullptr, &set_layout_),
             "vkCreateDescriptorSetLayout");
    const VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.setLayoutCount = 1;
    layout_info.pSetLayouts = &set_layout_;
    layout_info.pushConstantRangeCount = push_bytes > 0 ? 1 : 0;
    layout_info.pPushConstantRanges = &range;
    vk_check(vkCreatePipelineLayout(dev, &layout_info, nullptr, &layout_),
             "vkCreatePipelineLayout");
    VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    module_info.codeSize = code.n_words * sizeof(uint32_t);
    module_info.pCode = code.words;
    vk_check(vkCreateShaderModule(dev, &module_info, nullptr, &module), "vkCreateShaderModule");
    VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
    info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    info.stage.module = module;
    info.stage.pName = "main";
    info.layout = layout_;
    vk_check(vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &info, nullptr, &pipeline_),
             "vkCreateComputePipelines");
    vkDestroyShaderModule(dev, module, nullptr);
  } catch (...) {
    if (module != VK_NULL_HANDLE) vkDestroyShaderModule(dev, module, nullptr);
    if (layout_ != VK_NULL_HANDLE) vkDestroyPipelineLayout(dev, layout_, nullptr);
    if (set_layout_ != VK_NULL_HANDLE) vkDestroyDescriptorSetLayout(dev, set_layout_, nullptr);
    throw;
  }
}

ComputePipeline::~ComputePipeline() {
  const VkDevice dev = device_.handle();
  vkDestroyPipeline(dev, pipeline_, nullptr);
  vkDestroyPipelineLayout(dev, layout_, nullptr);
  vkDestroyDescriptorSetLayout(dev, set_layout_, nullptr);
}

const ComputePipeline& PipelineSet::get(const std::string& shader, uint32_t n_buffers,
                                        uint32_t push_bytes) {
  std::lock_guard lock(mutex_);
  auto it = pipelines_.find(shader);
  if (it == pipelines_.end()) {
    it = pipelines_
             .emplace(shader,
                      std::make_unique<ComputePipeline>(device_, shader, n_buffers, push_bytes))
             .first;
  }
  const ComputePipeline& p = *it->second;
  if (p.n_buffers() != n_buffers || p.push_bytes() != push_bytes) {
    fail(ErrorKind::kInternal,
         "Vulkan pipeline {}: made with {} buffers/{} push bytes, asked {}/{}", shader,
         p.n_buffers(), p.push_bytes(), n_buffers, push_bytes);
  }
  return p;
}

}  // namespace dsinfer::vulkan
