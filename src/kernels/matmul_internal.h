// Internals shared by the matmul dispatcher (matmul.cpp) and its per-ISA variants
// (matmul_scalar.cpp, matmul_avx2.cpp, matmul_avx512.cpp): the prepared-activation batch and the
// table of functions each variant provides. Not for use outside src/kernels/ and its tests.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels/isa.h"
#include "kernels/matmul.h"
#include "tensor/dtype.h"

namespace dsinfer::kernels::matmul_detail {

// The form a weight type's dot product wants its activations in (as the reference does it).
enum class ActFormat {
  kF32,   // F32 weights: x as is
  kF16,   // F16 weights: x rounded to fp16 (kept as float values)
  kBF16,  // BF16 weights: x rounded to bf16 (kept as float values)
  kQ8_0,  // Q8_0, Q4_0, Q5_0 weights: 32-element blocks, d = amax/127 (fp16-rounded)
  kQ8_1,  // Q4_1, Q5_1 weights: as kQ8_0 plus s = fp16(d_unrounded * sum(q))
  kQ8_K,  // K-type weights: 256-element blocks, float d = -max/127, 16 block sums
};

// Activation format for a weight type; throws Error(kUnsupported) for other types.
ActFormat act_format_for(tensor::DType type);

// Activations of n_rows rows prepared for one weight type. Row r of each array starts at
// r * (its per-row length); blocks are 32 (kQ8_0/kQ8_1) or 256 (kQ8_K) elements.
// NOTE: a private struct-of-arrays layout (rather than BlockQ8_0 records) so that int8 rows are
// contiguous and 32-byte aligned for the SIMD loads, and scales sit in their own float array.
struct ActBatch {
  ActFormat format = ActFormat::kF32;
  int64_t n_rows = 0;
  int64_t n_in = 0;
  int64_t n_blocks = 0;  // blocks per row (quantised formats)
  // kF32 / kF16 / kBF16: values, row stride ldf floats.
  float* f = nullptr;
  int64_t ldf = 0;
  // Quantised formats: q[r * n_in + i]; d[r * n_blocks + b]; s[r * n_blocks + b] (kQ8_0: exact
  // d * sum(q); kQ8_1: the reference's fp16-rounded s); isum[r * n_blocks + b] = sum(q) of the
  // block (kQ8_0/kQ8_1); bsums[(r * n_blocks + b) * 16 + j] (kQ8_K: sums of 16 elements) and
  // bsums32[(r * n_blocks + b) * 8 + j] (kQ8_K: sums of 32, for the packed Q4_K kernel's
  // sub-block mins).
  int8_t* q = nullptr;
  float* d = nullptr;
  float* s = nullptr;
  int32_t* isum = nullptr;
  int16_t* bsums = nullptr;
  int16_t* bsums32 = nullptr;
};

// Bytes of weight row `o`: rows are row_stride apart, or tightly packed when it is 0.
static inline const uint8_t* weight_row(const WeightView& w, size_t row_bytes, int64_t o) {
  const size_t stride = w.row_stride != 0 ? w.row_stride : row_bytes;
  return static_cast<const uint8_t*>(w.data) + static_cast<size_t>(o) * stride;
}

// IEEE half -> float (exact). Static so that each ISA translation unit keeps its own copy.
static inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0)
    return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;  // subnormal: exact
  return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(magnitude));
}

// float -> IEEE half, round to nearest even (inf on overflow, NaN kept).
// NOTE: normal results add the bias 0xfff (+1 when the kept mantissa is odd) before dropping 13
// bits, a carry bumping the exponent; below 2^-14 the value is scaled by 2^24 and rounded by
// nearbyint (default rounding mode: ties to even).
static inline uint16_t float_to_half(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {
    return static_cast<uint16_t>(sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u : 0u));
  }
  if (magnitude >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (magnitude >= 0x38800000u) {
    const uint32_t odd = (magnitude >> 13) & 1u;
    return static_cast<uint16_t>(sign | ((magnitude - 0x38000000u + 0xfffu + odd) >> 13));
  }
  const float units = std::bit_cast<float>(magnitude) * 0x1p24f;
  return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(units)));
}

// float -> bfloat16 (nearest even, NaN kept quiet) -> float.
static inline float round_to_bf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return std::bit_cast<float>((bits | 0x400000u) & 0xffff0000u);
  return std::bit_cast<float>(((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16) << 16);
}

// Unpacks the 12 packed bytes of a Q4_K/Q5_K super-block into 8 six-bit scales (out[0..8)) and
// 8 six-bit mins (out[8..16)), sub-block j covering elements 32j..32j+31.
// NOTE: bytes 0-3 hold the low 6 bits of scales 0-3 (top 2 bits: high bits of scales 4-7),
// bytes 4-7 likewise for mins 0-3 / 4-7, bytes 8-11 the low 4 bits of scale (low nibble) and
// min (high nibble) 4-7 (GGUF Q4_K layout).
static inline void unpack_k_scales(const uint8_t* packed, uint8_t* out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = packed[j] & 63;
    out[8 + j] = packed[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    out[j] = static_cast<uint8_t>((packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4));
    out[8 + j] = static_cast<uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
  }
}

// One ISA variant of the matmul.
struct IsaOps {
  Isa isa;
  // Prepares rows [r0, r1) of x (row stride ldx) into `a` (its arrays already allocated;
  // not used for kF32, whose `f` points at x itself).
  void (*prepare)(const ActBatch& a, const float* x, int64_t ldx, int64_t r0, int64_t r1);
  // y[r][o] for every activation row r and weight rows o in [o0, o1).
  void (*tile)(const WeightView& w, size_t row_bytes, const ActBatch& a, int64_t o0, int64_t o1,
               float* y, int64_t ldy);
};

const IsaOps& ops_scalar();
const IsaOps& ops_avx2();
const IsaOps& ops_avx512();

// Shared scalar activation preparation (reference numerics; used by the scalar variant and as
// the fallback of the others for formats they do not vectorise).
void prepare_scalar(const ActBatch& a, const float* x, int64_t ldx, int64_t r0, int64_t r1);

}  // namespace dsinfer::kernels::matmul_detail
