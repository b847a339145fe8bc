// The table of GGUF tensor types: one row per type with its float codec and error bound.
#include "tensor/dtype.h"

#include <array>
#include <cctype>
#include <cstddef>
#include <cstring>

#include "base/error.h"
#include "tensor/quant_rows.h"
#include "tensor/quantize.h"

namespace dsinfer::tensor {
namespace {

// Adapters from the typed per-block functions (quant_rows.h) to the table's untyped signatures.
template <class Block, void (*F)(const Block*, float*, int64_t)>
void dequantize_as(const void* src, float* dst, int64_t n) {
  F(static_cast<const Block*>(src), dst, n);
}
template <class Block, void (*F)(const float*, Block*, int64_t)>
void quantize_as(const float* src, void* dst, int64_t n) {
  F(src, static_cast<Block*>(dst), n);
}
void copy_f32_out(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void copy_f32_in(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

constexpr HalfScaleFields kNoHalfScales{0, {0, 0}};

// A type dsinfer only knows the size of (it can map, skip and report it, not compute with it).
constexpr DTypeInfo opaque(DType type, const char* name, int64_t block_size, size_t block_bytes) {
  return {type, name, block_size, block_bytes, nullptr, nullptr, {0, 0}, kNoHalfScales};
}

// NOTE: error bounds (d = block step, amax = block max |x|; fp16 scales add <= 2^-11 relative):
//   Q8_0: step amax/127, error <= step/2 = 0.0039 amax.   Q8_K: same, float scale.
//   Q4_0: step amax/8, the side opposite the signed max clamps at +7: error <= step = 0.125.
//   Q5_0: step amax/16, same clamp: 0.0625.   Q4_1 / Q5_1: step range/15 (/31), error step/2.
//   K types: sub-block scales are themselves quantised (6 bits, Q6_K 8 bits) against the
//   super-block maximum, and the scale search may clip outliers, so bounds are wider than
//   step/2; set from the analysis plus margin and checked on adversarial random data and on
//   the reference's own files (tests/golden/tensor_siblings_test.cpp).
constexpr std::array<DTypeInfo, 32> kTypes{{
    {DType::kF32, "F32", 1, 4, copy_f32_out, copy_f32_in, {0, 0}, kNoHalfScales},
    {DType::kF16,
     "F16",
     1,
     2,
     dequantize_as<fp16_t, fp16_to_float_row>,
     quantize_as<fp16_t, float_to_fp16_row>,
     {1.0 / 2048, 1.0 / 4096},
     kNoHalfScales},
    {DType::kQ4_0,
     "Q4_0",
     32,
     18,
     dequantize_as<BlockQ4_0, dequantize_row_q4_0>,
     quantize_as<BlockQ4_0, quantize_row_q4_0>,
     {0.130, 0.050},
     {1, {offsetof(BlockQ4_0, d), 0}}},
    {DType::kQ4_1,
     "Q4_1",
     32,
     20,
     dequantize_as<BlockQ4_1, dequantize_row_q4_1>,
     quantize_as<BlockQ4_1, quantize_row_q4_1>,
     {0.075, 0.040},
     {2, {offsetof(BlockQ4_1, d), offsetof(BlockQ4_1, m)}}},
    {DType::kQ5_0,
     "Q5_0",
     32,
     22,
     dequantize_as<BlockQ5_0, dequantize_row_q5_0>,
     quantize_as<BlockQ5_0, quantize_row_q5_0>,
     {0.066, 0.025},
     {1, {offsetof(BlockQ5_0, d), 0}}},
    {DType::kQ5_1,
     "Q5_1",
     32,
     24,
     dequantize_as<BlockQ5_1, dequantize_row_q5_1>,
     quantize_as<BlockQ5_1, quantize_row_q5_1>,
     {0.036, 0.020},
     {2, {offsetof(BlockQ5_1, d), offsetof(BlockQ5_1, m)}}},
    {DType::kQ8_0,
     "Q8_0",
     32,
     34,
     dequantize_as<BlockQ8_0, dequantize_row_q8_0>,
     quantize_as<BlockQ8_0, quantize_row_q8_0>,
     {0.0045, 0.0025},
     {1, {offsetof(BlockQ8_0, d), 0}}},
    // Q8_1 is an activation format: read, never written by dsinfer's quantiser.
    {DType::kQ8_1,
     "Q8_1",
     32,
     36,
     dequantize_as<BlockQ8_1, dequantize_row_q8_1>,
     nullptr,
     {0, 0},
     {2, {offsetof(BlockQ8_1, d), offsetof(BlockQ8_1, s)}}},
    {DType::kQ2_K,
     "Q2_K",
     256,
     84,
     dequantize_as<BlockQ2_K, dequantize_row_q2_k>,
     quantize_as<BlockQ2_K, quantize_row_q2_k>,
     {0.50, 0.20},
     {2, {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)}}},
    {DType::kQ3_K,
     "Q3_K",
     256,
     110,
     dequantize_as<BlockQ3_K, dequantize_row_q3_k>,
     quantize_as<BlockQ3_K, quantize_row_q3_k>,
     {0.30, 0.10},
     {1, {offsetof(BlockQ3_K, d), 0}}},
    {DType::kQ4_K,
     "Q4_K",
     256,
     144,
     dequantize_as<BlockQ4_K, dequantize_row_q4_k>,
     quantize_as<BlockQ4_K, quantize_row_q4_k>,
     {0.15, 0.050},
     {2, {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)}}},
    {DType::kQ5_K,
     "Q5_K",
     256,
     176,
     dequantize_as<BlockQ5_K, dequantize_row_q5_k>,
     quantize_as<BlockQ5_K, quantize_row_q5_k>,
     {0.075, 0.025},
     {2, {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)}}},
    {DType::kQ6_K,
     "Q6_K",
     256,
     210,
     dequantize_as<BlockQ6_K, dequantize_row_q6_k>,
     quantize_as<BlockQ6_K, quantize_row_q6_k>,
     {0.035, 0.012},
     {1, {offsetof(BlockQ6_K, d), 0}}},
    {DType::kQ8_K,
     "Q8_K",
     256,
     292,
     dequantize_as<BlockQ8_K, dequantize_row_q8_k>,
     quantize_as<BlockQ8_K, quantize_act_q8_k_scalar>,
     {0.0045, 0.0025},
     kNoHalfScales},
    opaque(DType::kIQ2_XXS, "IQ2_XXS", 256, 66),
    opaque(DType::kIQ2_XS, "IQ2_XS", 256, 74),
    opaque(DType::kIQ3_XXS, "IQ3_XXS", 256, 98),
    opaque(DType::kIQ1_S, "IQ1_S", 256, 50),
    opaque(DType::kIQ4_NL, "IQ4_NL", 32, 18),
    opaque(DType::kIQ3_S, "IQ3_S", 256, 110),
    opaque(DType::kIQ2_S, "IQ2_S", 256, 82),
    opaque(DType::kIQ4_XS, "IQ4_XS", 256, 136),
    opaque(DType::kI8, "I8", 1, 1),
    opaque(DType::kI16, "I16", 1, 2),
    opaque(DType::kI32, "I32", 1, 4),
    opaque(DType::kI64, "I64", 1, 8),
    opaque(DType::kF64, "F64", 1, 8),
    opaque(DType::kIQ1_M, "IQ1_M", 256, 56),
    {DType::kBF16,
     "BF16",
     1,
     2,
     dequantize_as<bf16_t, bf16_to_float_row>,
     quantize_as<bf16_t, float_to_bf16_row>,
     {1.0 / 256, 1.0 / 512},
     kNoHalfScales},
    opaque(DType::kTQ1_0, "TQ1_0", 256, 54),
    opaque(DType::kTQ2_0, "TQ2_0", 256, 66),
    opaque(DType::kMXFP4, "MXFP4", 32, 17),
}};

// NOTE: every enumerator, no default: -Wswitch (an error in CI builds) names a DType added to the
// enum without a line here, and the static_assert below then demands its row.
constexpr bool is_enumerator(uint32_t id) {
  switch (static_cast<DType>(id)) {
    case DType::kF32:
    case DType::kF16:
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ8_0:
    case DType::kQ8_1:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kQ8_K:
    case DType::kIQ2_XXS:
    case DType::kIQ2_XS:
    case DType::kIQ3_XXS:
    case DType::kIQ1_S:
    case DType::kIQ4_NL:
    case DType::kIQ3_S:
    case DType::kIQ2_S:
    case DType::kIQ4_XS:
    case DType::kI8:
    case DType::kI16:
    case DType::kI32:
    case DType::kI64:
    case DType::kF64:
    case DType::kIQ1_M:
    case DType::kBF16:
    case DType::kTQ1_0:
    case DType::kTQ2_0:
    case DType::kMXFP4:
      return true;
  }
  return false;
}

constexpr const DTypeInfo* find_row(uint32_t id) {
  for (const auto& t : kTypes) {
    if (static_cast<uint32_t>(t.type) == id) return &t;
  }
  return nullptr;
}

// A complete row: sizes set; a type that is written can be read back and has an error bound.
constexpr bool row_complete(const DTypeInfo& t) {
  if (t.name == nullptr || t.block_size <= 0 || t.block_bytes == 0) return false;
  if (t.quantize != nullptr && t.dequantize == nullptr) return false;
  if (t.quantize != nullptr && t.type != DType::kF32 && t.error.max_rel <= 0) return false;
  return true;
}

constexpr bool every_enumerator_has_a_complete_row() {
  for (uint32_t id = 0; id < 64; ++id) {
    if (!is_enumerator(id)) continue;
    const DTypeInfo* row = find_row(id);
    if (row == nullptr || !row_complete(*row)) return false;
  }
  for (size_t i = 1; i < kTypes.size(); ++i) {
    if (static_cast<uint32_t>(kTypes[i - 1].type) >= static_cast<uint32_t>(kTypes[i].type)) {
      return false;  // one row per type, in id order
    }
  }
  return true;
}
// NOTE: GCC cannot constant-evaluate a function address compared with null under
// -fsanitize=address,undefined; the release build (always built first) enforces the check.
#ifndef __SANITIZE_ADDRESS__
static_assert(every_enumerator_has_a_complete_row(),
              "tensor/dtype.cpp: a DType lacks its row in kTypes, or the row is incomplete");
#endif

}  // namespace

const DTypeInfo* dtype_info(uint32_t id) { return find_row(id); }

const DTypeInfo& dtype_info(DType type) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));
  if (info == nullptr) {
    fail(ErrorKind::kInvalidInput, "unknown tensor type id {}", static_cast<uint32_t>(type));
  }
  return *info;
}

const char* dtype_name(DType type) { return dtype_info(type).name; }

std::span<const DTypeInfo> dtype_table() { return kTypes; }

DType parse_dtype(const std::string& name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& t : kTypes) {
    if (upper == t.name) return t.type;
  }
  fail(ErrorKind::kInvalidInput, "unknown tensor type '{}'", name);
}

}  // namespace dsinfer::tensor
