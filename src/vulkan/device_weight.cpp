// Weight upload: checks, then one staged copy of the tightly packed rows.
#include "vulkan/device_weight.h"

#include <cstring>
#include <vector>

#include "base/error.h"

namespace dsinfer::vulkan {
namespace {

using tensor::DType;

constexpr DType kTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ8_0,
                            DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1,
                            DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace

size_t check_weight_view(const kernels::WeightView& w, const std::string& name) {
  if (!vulkan_matmul_supports(w.type)) {
    fail(ErrorKind::kUnsupported, "weight '{}' has type {}; the Vulkan matmul reads {}", name,
         tensor::dtype_name(w.type), vulkan_matmul_types_text());
  }
  if (w.layout != kernels::WeightLayout::kRows) {
    fail(ErrorKind::kUnsupported,
         "weight '{}': the Vulkan backend uploads the GGUF row layout, "
         "not a repacked one",
         name);
  }
  const auto& info = tensor::dtype_info(w.type);
  if (w.n_in <= 0 || w.n_out <= 0 || w.n_in % 4 != 0 || w.n_in % info.block_size != 0) {
    fail(ErrorKind::kUnsupported,
         "weight '{}' [{} x {}]: the Vulkan matmul needs rows of a "
         "positive multiple of 4 and of the block size {}",
         name, w.n_out, w.n_in, info.block_size);
  }
  const size_t row = tensor::row_bytes(info, w.n_in);
  if (w.row_stride != 0 && w.row_stride < row) {
    fail(ErrorKind::kInvalidInput, "weight '{}': row stride {} below the row size {}", name,
         w.row_stride, row);
  }
  return row;
}

namespace {

DeviceWeight upload_rows(VulkanDevice& device, std::span<const kernels::WeightView> mats,
                         const std::string& name) {
  const size_t row = check_weight_view(mats[0], name);
  DeviceWeight out;
  out.type = mats[0].type;
  out.n_in = mats[0].n_in;
  out.n_out = mats[0].n_out;
  out.n_expert = static_cast<int64_t>(mats.size());
  out.row_bytes = row;
  out.expert_bytes = row * static_cast<size_t>(out.n_out);
  const uint64_t total = static_cast<uint64_t>(out.expert_bytes) * mats.size();
  // Offsets inside the shaders are 32-bit byte offsets, and one binding covers the weight.
  const uint64_t limit = std::min<uint64_t>(device.max_storage_range(), UINT32_MAX);
  if (total > limit) {
    fail(ErrorKind::kUnsupported,
         "weight '{}' is {:.1f} MiB; one Vulkan storage binding on {} "
         "addresses at most {:.1f} MiB",
         name, mib(total), device.info().name, mib(limit));
  }
  for (const auto& m : mats) {
    check_weight_view(m, name);
    if (m.type != out.type || m.n_in != out.n_in || m.n_out != out.n_out) {
      fail(ErrorKind::kInvalidInput, "weight '{}': experts differ in type or shape", name);
    }
  }
  out.buffer = DeviceBuffer(device, total, "weight '" + name + "'");
  std::vector<uint8_t> packed(total);
  for (size_t e = 0; e < mats.size(); ++e) {
    const auto& m = mats[e];
    const size_t stride = m.row_stride != 0 ? m.row_stride : row;
    const auto* src = static_cast<const uint8_t*>(m.data);
    uint8_t* dst = packed.data() + e * out.expert_bytes;
    for (int64_t r = 0; r < m.n_out; ++r) {
      std::memcpy(dst + static_cast<size_t>(r) * row, src + static_cast<size_t>(r) * stride, row);
    }
  }
  upload(out.buffer, 0, packed.data(), packed.size());
  return out;
}

}  // namespace

bool vulkan_matmul_supports(tensor::DType type) {
  for (DType t : kTypes) {
    if (t == type) return true;
  }
  return false;
}

std::string vulkan_matmul_types_text() {
  std::string text;
  for (DType t : kTypes) {
    if (!text.empty()) text += ", ";
    text += tensor::dtype_name(t);
  }
  return text;
}

DeviceWeight upload_weight(VulkanDevice& device, const kernels::WeightView& w,
                           const std::string& name) {
  return upload_rows(device, std::span(&w, 1), name);
}

DeviceWeight upload_experts(VulkanDevice& device, std::span<const kernels::WeightView> experts,
                            const std::string& name) {
  if (experts.empty()) fail(ErrorKind::kInvalidInput, "weight '{}': no experts", name);
  return upload_rows(device, experts, name);
}

}  // namespace dsinfer::vulkan
