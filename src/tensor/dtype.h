// Tensor element types as GGUF numbers them, and the one table of what dsinfer knows of each:
// id, name, block size and bytes, its float codec and the error bound its quantiser keeps.
// Adding a type dsinfer computes = the enum value, its row in dtype.cpp and its block codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace dsinfer::tensor {

// GGUF tensor type ids (the numbering of the GGUF specification). Gaps are ids the format
// retired; they are unknown types.
enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

// dst[0..n) = the floats of one row stored at src (n a multiple of the block size; unchecked).
using DequantizeFn = void (*)(const void* src, float* dst, int64_t n);
// Encodes src[0..n) into dst (n a multiple of the block size; unchecked).
using QuantizeFn = void (*)(const float* src, void* dst, int64_t n);

// Bounds one quantise -> dequantise round trip stays within, for any finite input, measured with
// tensor/quant_error.h's measure_quant_error over blocks of error_block(type) elements.
struct QuantErrorBound {
  double max_rel;
  double rms_rel;
};

// Where a block keeps its fp16 scale fields (d, then m / dmin / s where it has one): byte
// offsets within the block. count = 0 for types without fp16 scales (plain types; Q8_K's d is a
// float). For code that writes random valid blocks (tests, benchmarks): random bytes everywhere,
// then sane halves at these offsets.
struct HalfScaleFields {
  int count;
  size_t offset[2];
};

struct DTypeInfo {
  DType type;
  const char* name;         // "Q4_K", as GGUF tools print it
  int64_t block_size;       // elements per block (1 for plain types)
  size_t block_bytes;       // bytes per block
  DequantizeFn dequantize;  // nullptr: dsinfer cannot convert it to float
  QuantizeFn quantize;      // nullptr: dsinfer cannot write it
  QuantErrorBound error;    // of quantize -> dequantize (quantize != nullptr)
  HalfScaleFields half_scales;
  bool dequantizable() const { return dequantize != nullptr; }
  bool quantizable() const { return quantize != nullptr; }
};

// Info for a raw type id, or nullptr when the id is not a GGUF type.
const DTypeInfo* dtype_info(uint32_t id);
// Info for a known type; throws Error(kInvalidInput) for a value outside the enum (a raw id cast).
const DTypeInfo& dtype_info(DType type);
const char* dtype_name(DType type);
// Every row, in id order (for lists of types: tests, tools, error texts).
std::span<const DTypeInfo> dtype_table();
// Parses a name such as "q4_k" or "Q8_0" (case-insensitive); throws Error(kInvalidInput).
DType parse_dtype(const std::string& name);

// Bytes of a row of `n` elements; `n` must be a multiple of the block size (checked by callers).
inline size_t row_bytes(const DTypeInfo& info, int64_t n) {
  return static_cast<size_t>(n / info.block_size) * info.block_bytes;
}

}  // namespace dsinfer::tensor
