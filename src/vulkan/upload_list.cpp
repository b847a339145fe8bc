// The binding table: checked host views collected first, uploaded together.
#include "vulkan/upload_list.h"

#include <utility>

#include "base/error.h"

namespace dsinfer::vulkan {

void UploadList::matrix(DeviceWeight* dst, const kernels::WeightView& w, const std::string& name) {
  if (w.data == nullptr) return;
  stacked(dst, {w}, name);
}

void UploadList::stacked(DeviceWeight* dst, std::vector<kernels::WeightView> mats,
                         const std::string& name) {
  if (mats.empty()) fail(ErrorKind::kInvalidInput, "weight '{}': no matrices", name);
  for (const auto& m : mats) {
    bytes_ += static_cast<int64_t>(check_weight_view(m, name)) * m.n_out;
  }
  matrices_.push_back({dst, std::move(mats), name});
}

void UploadList::floats(DeviceBuffer* dst, std::vector<float> values, const std::string& name) {
  if (values.empty()) return;
  bytes_ += static_cast<int64_t>(values.size() * sizeof(float));
  floats_.push_back({dst, std::move(values), name});
}

void UploadList::upload_all(VulkanDevice& device) {
  for (const Matrices& m : matrices_) *m.dst = upload_experts(device, m.mats, m.name);
  for (const Floats& f : floats_) {
    *f.dst = DeviceBuffer(device, f.values.size() * sizeof(float), f.name);
    upload(*f.dst, 0, f.values.data(), f.values.size() * sizeof(float));
  }
  matrices_.clear();
  floats_.clear();
  kept_.clear();
  bytes_ = 0;
}

}  // namespace dsinfer::vulkan
