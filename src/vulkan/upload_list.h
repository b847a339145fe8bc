// The binding table of a device model: every tensor a model binds on the host (checked views
// into the mapped file) paired with the device object it becomes. A device model first binds
// everything into one list (so a bad file fails before any upload), checks that the list's bytes
// plus its KV pool and activations fit the device, then uploads the list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/matmul.h"
#include "vulkan/device_buffer.h"
#include "vulkan/device_weight.h"

namespace dsinfer::vulkan {

class UploadList {
 public:
  // A matrix (uploaded as stored); an absent one (w.data == nullptr) is skipped and `dst` stays
  // empty. Throws Error(kUnsupported) at once for a weight the Vulkan matmul cannot read.
  void matrix(DeviceWeight* dst, const kernels::WeightView& w, const std::string& name);
  // Equally shaped matrices (experts, per-head projections) stacked into one weight.
  void stacked(DeviceWeight* dst, std::vector<kernels::WeightView> mats, const std::string& name);
  // Floats (norms, biases); an empty vector is skipped and `dst` stays empty.
  void floats(DeviceBuffer* dst, std::vector<float> values, const std::string& name);

  // Keeps host data that listed views point into (e.g. F32 copies made while binding) alive
  // until upload_all.
  void keep_alive(std::vector<float> data) { kept_.push_back(std::move(data)); }

  // Device bytes of everything listed.
  int64_t bytes() const { return bytes_; }
  // Uploads every entry into its destination (which must still be alive), then empties the list.
  void upload_all(VulkanDevice& device);

 private:
  struct Matrices {
    DeviceWeight* dst;
    std::vector<kernels::WeightView> mats;
    std::string name;
  };
  struct Floats {
    DeviceBuffer* dst;
    std::vector<float> values;
    std::string name;
  };
  std::vector<Matrices> matrices_;
  std::vector<Floats> floats_;
  std::vector<std::vector<float>> kept_;
  int64_t bytes_ = 0;
};

}  // namespace dsinfer::vulkan
