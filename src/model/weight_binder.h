// Binds GGUF tensors to the roles a model needs, by name, checking shape and type: a missing or
// mis-shaped tensor is an Error naming the file, the tensor and the expected/actual shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/matmul.h"

namespace dsinfer::model {

// Throws Error(kUnsupported) naming the file, the tensor and the supported types unless
// kernels::matmul computes `type` (kernels/weight_types.h).
void require_matmul_type(const gguf::GgufFile& file, const std::string& name, tensor::DType type);

class WeightBinder {
 public:
  explicit WeightBinder(const gguf::GgufFile& file) : file_(file) {}

  // A 2-D weight of GGUF shape [n_in, n_out] viewed in place (no copy). Throws Error(kBadFile)
  // when missing or mis-shaped, Error(kUnsupported) for a type matmul does not support.
  kernels::WeightView matrix(const std::string& name, int64_t n_in, int64_t n_out) const;
  // As matrix(), or a view with data == nullptr when the tensor is absent.
  kernels::WeightView matrix_opt(const std::string& name, int64_t n_in, int64_t n_out) const;

  // A 1-D tensor of n elements (norm weights, biases) converted to float (small copies).
  std::vector<float> vector(const std::string& name, int64_t n) const;
  // As vector(), or an empty vector when absent.
  std::vector<float> vector_opt(const std::string& name, int64_t n) const;

  // The tensor, checked to exist with exactly `shape` (GGUF order).
  const gguf::TensorInfo& tensor(const std::string& name, const std::vector<int64_t>& shape) const;

  const gguf::GgufFile& file() const { return file_; }

 private:
  const gguf::GgufFile& file_;
};

std::string shape_text(const std::vector<int64_t>& shape);

// The GGUF name of a per-layer tensor: "blk.{layer}.{name}".
std::string layer_tensor(int64_t layer, const char* name);

}  // namespace dsinfer::model
