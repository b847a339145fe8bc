// Rounding helpers shared by the quantisers (internal to the tensor layer). They reproduce the
// reference's integer conversions exactly in range and never invoke undefined behaviour outside
// it (NaN or huge inputs give some in-range integer instead of a crash).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace dsinfer::tensor::detail {

// A sub-block whose max |x| is below this quantises to all zeros (scale 0).
inline constexpr float kGroupMaxEps = 1e-15f;

inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Round half to even, as the reference's nearest_int: exact for |v| < 2^22; inputs beyond are
// clamped to +-(2^22 - 1) first. NOTE: adding 1.5 * 2^23 leaves round(v) in the low 22 mantissa
// bits of the sum (the FPU does the rounding, ties to even).
inline int nearest_int(float v) {
  constexpr float kLimit = 4194303.f;
  if (v > kLimit) v = kLimit;
  if (v < -kLimit) v = -kLimit;
  const float biased = v + 12582912.f;  // 1.5 * 2^23
  return static_cast<int>(std::bit_cast<uint32_t>(biased) & 0x007fffffu) - 0x00400000;
}

// Round half away from zero (C roundf) then clamp to [lo, hi]; NaN gives 0. Written without a
// libm call so loops over it vectorise: v - trunc(v) is exact for in-range v.
inline int round_away_clamped(float v, int lo, int hi) {
  if (!(v == v)) return 0;
  if (v <= static_cast<float>(lo)) return lo;
  if (v >= static_cast<float>(hi)) return hi;
  const int t = static_cast<int>(v);
  const float frac = v - static_cast<float>(t);
  return t + (frac >= 0.5f ? 1 : 0) - (frac <= -0.5f ? 1 : 0);
}

// Truncation toward zero (a C cast) clamped to [lo, hi]; NaN gives lo.
inline int truncate_clamped(float v, int lo, int hi) {
  if (!(v >= static_cast<float>(lo))) return lo;
  if (v >= static_cast<float>(hi)) return hi;
  return static_cast<int>(v);
}

}  // namespace dsinfer::tensor::detail
