// Weight binding by tensor name with shape and type checks.
#include "model/weight_binder.h"

#include "base/error.h"
#include "kernels/weight_types.h"
#include "tensor/quantize.h"

namespace dsinfer::model {

using tensor::DType;

void require_matmul_type(const gguf::GgufFile& file, const std::string& name, DType type) {
  if (!kernels::matmul_supports(type)) {
    fail(ErrorKind::kUnsupported,
         "{}: tensor '{}' has type {}, which the matmul kernels do not support (supported: {})",
         file.path(), name, tensor::dtype_name(type), kernels::matmul_types_text());
  }
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string layer_tensor(int64_t layer, const char* name) {
  return "blk." + std::to_string(layer) + "." + name;
}

const gguf::TensorInfo& WeightBinder::tensor(const std::string& name,
                                             const std::vector<int64_t>& shape) const {
  const gguf::TensorInfo* t = file_.find_tensor(name);
  if (t == nullptr) {
    fail(ErrorKind::kBadFile, "{}: missing tensor '{}' (expected shape {})", file_.path(), name,
         shape_text(shape));
  }
  if (t->shape != shape) {
    fail(ErrorKind::kBadFile, "{}: tensor '{}' has shape {}, expected {}", file_.path(), name,
         shape_text(t->shape), shape_text(shape));
  }
  return *t;
}

kernels::WeightView WeightBinder::matrix(const std::string& name, int64_t n_in,
                                         int64_t n_out) const {
  const gguf::TensorInfo& t = tensor(name, {n_in, n_out});
  require_matmul_type(file_, name, t.type);
  const auto& info = tensor::dtype_info(t.type);
  if (n_in % info.block_size != 0) {
    fail(ErrorKind::kBadFile,
         "{}: tensor '{}' row length {} is not a multiple of the {} block size {}", file_.path(),
         name, n_in, info.name, info.block_size);
  }
  const size_t row = tensor::row_bytes(info, n_in);
  if (t.n_bytes < row * static_cast<size_t>(n_out)) {
    fail(ErrorKind::kBadFile, "{}: tensor '{}' holds {} bytes, expected {}", file_.path(), name,
         t.n_bytes, row * static_cast<size_t>(n_out));
  }
  kernels::WeightView w;
  w.type = t.type;
  w.data = t.data;
  w.n_in = n_in;
  w.n_out = n_out;
  w.row_stride = row;
  return w;
}

kernels::WeightView WeightBinder::matrix_opt(const std::string& name, int64_t n_in,
                                             int64_t n_out) const {
  if (file_.find_tensor(name) == nullptr) return {};
  return matrix(name, n_in, n_out);
}

std::vector<float> WeightBinder::vector(const std::string& name, int64_t n) const {
  const gguf::TensorInfo& t = tensor(name, {n});
  if (!tensor::can_dequantize(t.type)) {
    fail(ErrorKind::kUnsupported, "{}: tensor '{}' has type {}, which cannot be converted to float",
         file_.path(), name, tensor::dtype_name(t.type));
  }
  if (n % tensor::dtype_info(t.type).block_size != 0) {
    fail(ErrorKind::kBadFile, "{}: tensor '{}' length {} is not a multiple of its block size",
         file_.path(), name, n);
  }
  std::vector<float> out(static_cast<size_t>(n));
  tensor::dequantize_row(t.type, t.data, out.data(), n);
  return out;
}

std::vector<float> WeightBinder::vector_opt(const std::string& name, int64_t n) const {
  if (file_.find_tensor(name) == nullptr) return {};
  return vector(name, n);
}

}  // namespace dsinfer::model
