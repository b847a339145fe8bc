// Tensor element types as GGUF numbers them: id, name, block size and bytes per block.
#pragma once

#include <cstddef>
#include <cstdint>
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

struct DTypeInfo {
  DType type;
  const char* name;    // "Q4_K", as GGUF tools print it
  int64_t block_size;  // elements per block (1 for plain types)
  size_t block_bytes;  // bytes per block
  bool dequantizable;  // dsinfer can convert it to float
};

// Info for a raw type id, or nullptr when the id is not a GGUF type.
const DTypeInfo* dtype_info(uint32_t id);
// Info for a known type; throws Error(kInvalidInput) for a value outside the enum (a raw id cast).
const DTypeInfo& dtype_info(DType type);
const char* dtype_name(DType type);
// Parses a name such as "q4_k" or "Q8_0" (case-insensitive); throws Error(kInvalidInput).
DType parse_dtype(const std::string& name);

// Bytes of a row of `n` elements; `n` must be a multiple of the block size (checked by callers).
inline size_t row_bytes(const DTypeInfo& info, int64_t n) {
  return static_cast<size_t>(n / info.block_size) * info.block_bytes;
}

}  // namespace dsinfer::tensor
