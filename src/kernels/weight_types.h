// The weight types the matmul computes, one row each: the activation format its dot product pairs
// with and its 8-row packed layout (kernels/weight_pack.h) where it has one. Every list of matmul
// types (argument checks, error texts, repack, benchmarks, tests) derives from this table, and each
// ISA variant's tile table is checked against it at compile time (covers_weight_types).
// Adding a matmul type = its row here, its scalar dot (matmul_scalar.cpp) and, optionally, its SIMD
// tile (matmul_x86_kernels.inc) and 8-row codec (weight_pack.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace dsinfer::kernels {

// The form a weight type's dot product wants its activations in (as the reference does it).
enum class ActFormat {
  kF32,   // F32 weights: x as is
  kF16,   // F16 weights: x rounded to fp16 (kept as float values)
  kBF16,  // BF16 weights: x rounded to bf16 (kept as float values)
  kQ8_0,  // Q8_0, Q4_0, Q5_0 weights: 32-element blocks, d = amax/127 (fp16-rounded)
  kQ8_1,  // Q4_1, Q5_1 weights: as kQ8_0 plus s = fp16(d_unrounded * sum(q))
  kQ8_K,  // K-type weights: 256-element blocks, float d = -max/127, 16 block sums
};

// Conversion of one type between GGUF rows and its 8-row packed layout (kernels/weight_pack.cpp).
struct Rows8Codec {
  size_t block_bytes;  // one packed block (8 rows x one GGUF block)
  // Packs group g (rows 8g..8g+7, `stride` bytes apart in `src`, nb blocks each) into `out`.
  void (*pack)(const uint8_t* src, size_t stride, int64_t nb, int64_t g, uint8_t* out);
  // Writes one packed group back as 8 GGUF rows of row_bytes each at `out`.
  void (*unpack)(const uint8_t* in, size_t row_bytes, int64_t nb, uint8_t* out);
};
extern const Rows8Codec kRows8Q4_K;
extern const Rows8Codec kRows8Q6_K;
extern const Rows8Codec kRows8Q8_0;
extern const Rows8Codec kRows8Q5_0;
extern const Rows8Codec kRows8Q4_0;
extern const Rows8Codec kRows8Q5_K;

struct WeightTypeRow {
  tensor::DType type;
  ActFormat act;
  const Rows8Codec* rows8;  // nullptr: used in the GGUF row layout only
};

inline constexpr WeightTypeRow kWeightTypes[] = {
    {tensor::DType::kF32, ActFormat::kF32, nullptr},
    {tensor::DType::kF16, ActFormat::kF16, nullptr},
    {tensor::DType::kBF16, ActFormat::kBF16, nullptr},
    {tensor::DType::kQ8_0, ActFormat::kQ8_0, &kRows8Q8_0},
    {tensor::DType::kQ4_0, ActFormat::kQ8_0, &kRows8Q4_0},
    {tensor::DType::kQ4_1, ActFormat::kQ8_1, nullptr},
    {tensor::DType::kQ5_0, ActFormat::kQ8_0, &kRows8Q5_0},
    {tensor::DType::kQ5_1, ActFormat::kQ8_1, nullptr},
    {tensor::DType::kQ4_K, ActFormat::kQ8_K, &kRows8Q4_K},
    {tensor::DType::kQ5_K, ActFormat::kQ8_K, &kRows8Q5_K},
    {tensor::DType::kQ6_K, ActFormat::kQ8_K, &kRows8Q6_K},
};

// The row of `type`, or nullptr when the matmul does not compute it.
constexpr const WeightTypeRow* weight_type_row(tensor::DType type) {
  for (const WeightTypeRow& row : kWeightTypes) {
    if (row.type == type) return &row;
  }
  return nullptr;
}

// NOTE: the compile-time completeness check of a variant's tile table. `tiles` is a sequence of
// rows with members `type`, `rows` (GGUF layout tile) and, optionally, `rows8` (packed tile):
// every matmul type needs one row with a `rows` tile, and (when the table has `rows8`) a `rows8`
// tile exactly when it has a packed layout. GCC cannot constant-evaluate a function address
// compared with null under -fsanitize=address,undefined: the callers skip the check there (the
// release build, always built first, enforces it), as tensor/dtype.cpp does for its table.
template <class Tiles>
consteval bool covers_weight_types(const Tiles& tiles) {
  for (const WeightTypeRow& row : kWeightTypes) {
    bool found = false;
    for (const auto& t : tiles) {
      if (t.type != row.type) continue;
      if (found || t.rows == nullptr) return false;
      if constexpr (requires { t.rows8; }) {
        if ((t.rows8 != nullptr) != (row.rows8 != nullptr)) return false;
      }
      found = true;
    }
    if (!found) return false;
  }
  return std::size(tiles) == std::size(kWeightTypes);
}

// True when matmul() computes `type`.
bool matmul_supports(tensor::DType type);
// "F32, F16, ..." (every matmul type) and "Q8_0, Q5_0, ..." (those with an 8-row layout).
std::string matmul_types_text();
std::string rows8_types_text();
std::vector<tensor::DType> matmul_types();

}  // namespace dsinfer::kernels
