// dequantize_row / quantize_row: checks, then the codec of the type's row (tensor/dtype.cpp), and
// the errors for types dsinfer knows but cannot compute.
#include "tensor/quantize.h"

#include "base/error.h"

namespace dsinfer::tensor {
namespace {

template <class Has>
std::string names_where(Has has) {
  std::string out;
  for (const DTypeInfo& t : dtype_table()) {
    if (!has(t)) continue;
    if (!out.empty()) out += ", ";
    out += t.name;
  }
  return out;
}

}  // namespace

bool can_dequantize(DType type) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));
  return info != nullptr && info->dequantizable();
}
bool can_quantize(DType type) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));
  return info != nullptr && info->quantizable();
}
std::string dequantizable_types_text() {
  return names_where([](const DTypeInfo& t) { return t.dequantizable(); });
}
std::string quantizable_types_text() {
  return names_where([](const DTypeInfo& t) { return t.quantizable(); });
}

void require_dequantizable(DType type) {
  if (!can_dequantize(type)) {
    fail(ErrorKind::kUnsupported, "tensor type {} is not supported (supported: {})",
         dtype_name(type), dequantizable_types_text());
  }
}

void require_quantizable(DType type) {
  if (!can_quantize(type)) {
    fail(ErrorKind::kUnsupported, "quantising to tensor type {} is not supported (supported: {})",
         dtype_name(type), quantizable_types_text());
  }
}

void require_row_length(DType type, int64_t n) {
  const DTypeInfo& info = dtype_info(type);
  if (n < 0 || n % info.block_size != 0) {
    fail(ErrorKind::kInvalidInput,
         "a row of {} elements cannot be stored as {}: rows must be a multiple of {} elements", n,
         info.name, info.block_size);
  }
}

void dequantize_row(DType type, const void* src, float* dst, int64_t n) {
  require_dequantizable(type);
  require_row_length(type, n);
  dtype_info(type).dequantize(src, dst, n);
}

void quantize_row(DType type, const float* src, void* dst, int64_t n) {
  require_quantizable(type);
  require_row_length(type, n);
  dtype_info(type).quantize(src, dst, n);
}

void quantize_rows(DType type, const float* src, void* dst, int64_t n_rows, int64_t n_per_row) {
  require_quantizable(type);
  require_row_length(type, n_per_row);
  if (n_rows < 0) fail(ErrorKind::kInvalidInput, "quantize_rows: negative row count {}", n_rows);
  const DTypeInfo& info = dtype_info(type);
  const size_t stride = row_bytes(info, n_per_row);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t r = 0; r < n_rows; ++r) {
    info.quantize(src + r * n_per_row, out + static_cast<size_t>(r) * stride, n_per_row);
  }
}

}  // namespace dsinfer::tensor
