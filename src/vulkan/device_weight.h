// Weights in device memory, stored exactly as GGUF stores them (quantised blocks stay
// quantised): one matrix, or a stack of equally shaped expert matrices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "kernels/matmul.h"
#include "tensor/dtype.h"
#include "vulkan/device_buffer.h"

namespace dsinfer::vulkan {

// n_expert matrices of n_out rows x n_in elements, rows row_bytes apart, matrices expert_bytes
// apart (n_expert = 1 for a plain matrix).
struct DeviceWeight {
  tensor::DType type = tensor::DType::kF32;
  int64_t n_in = 0;
  int64_t n_out = 0;
  int64_t n_expert = 1;
  size_t row_bytes = 0;
  size_t expert_bytes = 0;
  DeviceBuffer buffer;
  BufferSlice slice() const { return whole(buffer); }
};

// True for the weight types the Vulkan matmul shaders read: the CPU matmul's list (F32, F16,
// BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K).
bool vulkan_matmul_supports(tensor::DType type);
std::string vulkan_matmul_types_text();

// Checks that the Vulkan matmul reads `w` (the checks of upload_weight below, without a device)
// and returns the bytes of one of its rows on the device. Throws like upload_weight.
size_t check_weight_view(const kernels::WeightView& w, const std::string& name);

// Uploads a GGUF-layout (WeightLayout::kRows) weight. Throws Error(kUnsupported) for a type the
// shaders do not read, a repacked (kRows8) view, a row length that is not a multiple of 4, or a
// matrix larger than one storage binding may address (the numbers in the message);
// Error(kUnavailable) when the device's memory is full. `name` labels errors.
DeviceWeight upload_weight(VulkanDevice& device, const kernels::WeightView& w,
                           const std::string& name);
// Uploads equally shaped matrices (MoE experts) into one stacked weight.
DeviceWeight upload_experts(VulkanDevice& device, std::span<const kernels::WeightView> experts,
                            const std::string& name);

}  // namespace dsinfer::vulkan
