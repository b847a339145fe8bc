// dequantize_row / quantize_row: the DType switch over the per-format functions, and the
// errors for types dsinfer knows but cannot compute.
#include "tensor/quantize.h"

#include <cstring>

#include "base/error.h"
#include "tensor/quant_rows.h"

namespace dsinfer::tensor {
namespace {

constexpr DType kDequantizable[] = {
    DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1,
    DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ8_1, DType::kQ2_K,
    DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K,
};
constexpr DType kQuantizable[] = {
    DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1,
    DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ2_K, DType::kQ3_K,
    DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K,
};

template <size_t N>
bool contains(const DType (&list)[N], DType type) {
  for (DType t : list) {
    if (t == type) return true;
  }
  return false;
}

template <size_t N>
std::string names_of(const DType (&list)[N]) {
  std::string out;
  for (DType t : list) {
    if (!out.empty()) out += ", ";
    out += dtype_name(t);
  }
  return out;
}

template <typename Block>
const Block* blocks(const void* p) {
  return static_cast<const Block*>(p);
}
template <typename Block>
Block* blocks(void* p) {
  return static_cast<Block*>(p);
}

}  // namespace

bool can_dequantize(DType type) { return contains(kDequantizable, type); }
bool can_quantize(DType type) { return contains(kQuantizable, type); }
std::string dequantizable_types_text() { return names_of(kDequantizable); }
std::string quantizable_types_text() { return names_of(kQuantizable); }

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
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16:
      return fp16_to_float_row(static_cast<const fp16_t*>(src), dst, n);
    case DType::kBF16:
      return bf16_to_float_row(static_cast<const bf16_t*>(src), dst, n);
    case DType::kQ4_0:
      return dequantize_row_q4_0(blocks<BlockQ4_0>(src), dst, n);
    case DType::kQ4_1:
      return dequantize_row_q4_1(blocks<BlockQ4_1>(src), dst, n);
    case DType::kQ5_0:
      return dequantize_row_q5_0(blocks<BlockQ5_0>(src), dst, n);
    case DType::kQ5_1:
      return dequantize_row_q5_1(blocks<BlockQ5_1>(src), dst, n);
    case DType::kQ8_0:
      return dequantize_row_q8_0(blocks<BlockQ8_0>(src), dst, n);
    case DType::kQ8_1:
      return dequantize_row_q8_1(blocks<BlockQ8_1>(src), dst, n);
    case DType::kQ2_K:
      return dequantize_row_q2_k(blocks<BlockQ2_K>(src), dst, n);
    case DType::kQ3_K:
      return dequantize_row_q3_k(blocks<BlockQ3_K>(src), dst, n);
    case DType::kQ4_K:
      return dequantize_row_q4_k(blocks<BlockQ4_K>(src), dst, n);
    case DType::kQ5_K:
      return dequantize_row_q5_k(blocks<BlockQ5_K>(src), dst, n);
    case DType::kQ6_K:
      return dequantize_row_q6_k(blocks<BlockQ6_K>(src), dst, n);
    case DType::kQ8_K:
      return dequantize_row_q8_k(blocks<BlockQ8_K>(src), dst, n);
    default:
      break;
  }
  fail(ErrorKind::kInternal, "dequantize_row: no converter for {}", dtype_name(type));
}

void quantize_row(DType type, const float* src, void* dst, int64_t n) {
  require_quantizable(type);
  require_row_length(type, n);
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16:
      return float_to_fp16_row(src, static_cast<fp16_t*>(dst), n);
    case DType::kBF16:
      return float_to_bf16_row(src, static_cast<bf16_t*>(dst), n);
    case DType::kQ4_0:
      return quantize_row_q4_0(src, blocks<BlockQ4_0>(dst), n);
    case DType::kQ4_1:
      return quantize_row_q4_1(src, blocks<BlockQ4_1>(dst), n);
    case DType::kQ5_0:
      return quantize_row_q5_0(src, blocks<BlockQ5_0>(dst), n);
    case DType::kQ5_1:
      return quantize_row_q5_1(src, blocks<BlockQ5_1>(dst), n);
    case DType::kQ8_0:
      return quantize_row_q8_0(src, blocks<BlockQ8_0>(dst), n);
    case DType::kQ2_K:
      return quantize_row_q2_k(src, blocks<BlockQ2_K>(dst), n);
    case DType::kQ3_K:
      return quantize_row_q3_k(src, blocks<BlockQ3_K>(dst), n);
    case DType::kQ4_K:
      return quantize_row_q4_k(src, blocks<BlockQ4_K>(dst), n);
    case DType::kQ5_K:
      return quantize_row_q5_k(src, blocks<BlockQ5_K>(dst), n);
    case DType::kQ6_K:
      return quantize_row_q6_k(src, blocks<BlockQ6_K>(dst), n);
    case DType::kQ8_K:
      return quantize_act_q8_k_scalar(src, blocks<BlockQ8_K>(dst), n);
    default:
      break;
  }
  fail(ErrorKind::kInternal, "quantize_row: no converter for {}", dtype_name(type));
}

void quantize_rows(DType type, const float* src, void* dst, int64_t n_rows, int64_t n_per_row) {
  require_quantizable(type);
  require_row_length(type, n_per_row);
  if (n_rows < 0) fail(ErrorKind::kInvalidInput, "quantize_rows: negative row count {}", n_rows);
  const size_t stride = row_bytes(dtype_info(type), n_per_row);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t r = 0; r < n_rows; ++r) {
    quantize_row(type, src + r * n_per_row, out + static_cast<size_t>(r) * stride, n_per_row);
  }
}

}  // namespace dsinfer::tensor
