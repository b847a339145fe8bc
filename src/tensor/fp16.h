// Scalar conversions between float and the 16-bit float formats GGUF stores (IEEE half, bfloat16).
// Exact: float -> 16-bit rounds to nearest, ties to even; 16-bit -> float is lossless.
// Row (bulk) conversions with F16C fast paths live in tensor/quantize.h.
// NOTE: `static inline` (one copy per translation unit): the per-ISA kernel files are compiled
// with their own -m flags, and an inline function with external linkage could be merged by the
// linker into an AVX-512 copy that a scalar caller then runs on a CPU without it.
#pragma once

#include <bit>
#include <cstdint>

#include "tensor/quant_blocks.h"

namespace dsinfer::tensor {

// IEEE half -> float, exact for every bit pattern (subnormals, infinities, NaN payloads).
static inline float fp16_to_float(fp16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0) {
    // Rebias 15 -> 127: add 112 to the exponent field.
    return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  }
  // Zero or subnormal: mantissa * 2^-24 is exact in float.
  const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
  return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(magnitude));
}

// float -> IEEE half, round to nearest even; overflow gives +-inf, NaN stays a (quiet) NaN.
// NOTE: normal results add the rounding bias 0xfff (+1 when the kept mantissa is odd) before
// dropping 13 mantissa bits, so a carry correctly bumps the exponent. Results below 2^-14 are
// rounded by the FPU itself: adding 0.5f puts the value's 2^-24 units in the low mantissa bits
// of the sum (assumes the default rounding mode and no flush-to-zero, as C++ guarantees).
static inline fp16_t float_to_fp16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {  // inf or NaN
    const uint32_t nan_bits = magnitude > 0x7f800000u ? (0x200u | ((magnitude >> 13) & 0x3ffu)) : 0;
    return static_cast<fp16_t>(sign | 0x7c00u | nan_bits);
  }
  if (magnitude >= 0x477ff000u) return static_cast<fp16_t>(sign | 0x7c00u);  // >= 65520: inf
  if (magnitude >= 0x38800000u) {                                            // >= 2^-14: normal
    const uint32_t odd = (magnitude >> 13) & 1u;
    // 0xc8000000 == -(112 << 23) modulo 2^32: rebias the exponent 127 -> 15.
    return static_cast<fp16_t>(sign | ((magnitude + 0xc8000fffu + odd) >> 13));
  }
  const float sum = std::bit_cast<float>(magnitude) + 0.5f;
  return static_cast<fp16_t>(sign | (std::bit_cast<uint32_t>(sum) - 0x3f000000u));
}

// bfloat16 -> float (exact: bfloat16 is the top half of a float).
static inline float bf16_to_float(bf16_t h) {
  return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

// float -> bfloat16, round to nearest even (subnormals kept, not flushed); NaN stays a quiet NaN.
static inline bf16_t float_to_bf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<bf16_t>((bits >> 16) | 0x40u);
  return static_cast<bf16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

// float -> nearest half / bfloat16 -> float: the value a float takes when stored in that format.
static inline float round_to_fp16(float f) { return fp16_to_float(float_to_fp16(f)); }
static inline float round_to_bf16(float f) { return bf16_to_float(float_to_bf16(f)); }

}  // namespace dsinfer::tensor
