// Tests of the F16 / BF16 conversions: exhaustive over all 16-bit patterns, round-to-nearest-even
// against an independent double-precision model, and the row (F16C) paths against the scalar.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tensor/fp16.h"
#include "tensor/quantize.h"

namespace dsinfer::tensor {
namespace {

// Independent model of IEEE half: the value of a bit pattern, computed in double.
double half_value(uint16_t h) {
  const int sign = (h >> 15) ? -1 : 1;
  const int e = (h >> 10) & 0x1f;
  const int m = h & 0x3ff;
  if (e == 0) return sign * std::ldexp(m, -24);
  if (e == 31) {
    return m == 0 ? sign * std::numeric_limits<double>::infinity()
                  : std::numeric_limits<double>::quiet_NaN();
  }
  return sign * std::ldexp(1024 + m, e - 25);
}

// Independent model of float -> half rounding: the finite half nearest to f (ties to the
// even mantissa), or inf past the overflow threshold 65520.
uint16_t model_float_to_half(float f) {
  const double v = f;
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  const double a = std::fabs(v);
  if (a >= 65520.0) return sign | 0x7c00;
  uint16_t best = 0;
  double best_err = std::numeric_limits<double>::infinity();
  // Candidates: the two halves bracketing a (search by binary search over the ordered patterns).
  uint16_t lo = 0;
  uint16_t hi = 0x7bff;
  while (lo < hi) {
    const uint16_t mid = static_cast<uint16_t>((lo + hi + 1) / 2);
    if (half_value(mid) <= a) {
      lo = mid;
    } else {
      hi = static_cast<uint16_t>(mid - 1);
    }
  }
  for (uint16_t c : {lo, static_cast<uint16_t>(lo + 1)}) {
    if (c > 0x7c00) continue;
    const double err = std::fabs(half_value(c) - a);
    if (err < best_err || (err == best_err && (c & 1) == 0)) {
      best = c;
      best_err = err;
    }
  }
  return sign | best;
}

TEST(Fp16, KnownValues) {
  EXPECT_EQ(fp16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(fp16_to_float(0xC000), -2.0f);
  EXPECT_EQ(fp16_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(fp16_to_float(0x0001), 0x1p-24f);
  EXPECT_EQ(fp16_to_float(0x0400), 0x1p-14f);
  EXPECT_EQ(fp16_to_float(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::isinf(fp16_to_float(0x7C00)));
  EXPECT_TRUE(std::isnan(fp16_to_float(0x7E00)));
  EXPECT_EQ(std::bit_cast<uint32_t>(fp16_to_float(0x8000)), 0x80000000u);

  EXPECT_EQ(float_to_fp16(1.0f), 0x3C00);
  EXPECT_EQ(float_to_fp16(65504.0f), 0x7BFF);
  EXPECT_EQ(float_to_fp16(65519.0f), 0x7BFF);             // below the overflow threshold
  EXPECT_EQ(float_to_fp16(65520.0f), 0x7C00);             // ties away to inf (even)
  EXPECT_EQ(float_to_fp16(1.0f + 0x1p-11f), 0x3C00);      // tie -> even (down)
  EXPECT_EQ(float_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);  // tie -> even (up)
  EXPECT_EQ(float_to_fp16(0x1p-25f), 0x0000);             // tie at the smallest subnormal
  EXPECT_EQ(float_to_fp16(0x1.8p-25f), 0x0001);           // above the tie
  EXPECT_EQ(float_to_fp16(3 * 0x1p-25f), 0x0002);         // 1.5 units -> 2 (even)
  EXPECT_EQ(float_to_fp16(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(float_to_fp16(std::numeric_limits<float>::quiet_NaN()) & 0x7E00, 0x7E00);
}

TEST(Fp16, EveryHalfRoundTripsExactly) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_float(static_cast<uint16_t>(h));
    const double want = half_value(static_cast<uint16_t>(h));
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      ASSERT_TRUE(std::isnan(fp16_to_float(float_to_fp16(f))));
      continue;
    }
    ASSERT_EQ(static_cast<double>(f), want) << std::hex << h;
    ASSERT_EQ(float_to_fp16(f), h) << std::hex << h;
  }
}

TEST(Fp16, FloatToHalfMatchesModelOnMidpointsAndRandomFloats) {
  std::vector<float> inputs;
  // Every midpoint between adjacent finite halves, and its float neighbours.
  for (uint16_t h = 0; h < 0x7bff; ++h) {
    const float mid = static_cast<float>((half_value(h) + half_value(h + 1)) / 2);
    inputs.push_back(mid);
    inputs.push_back(std::nextafter(mid, 0.f));
    inputs.push_back(std::nextafter(mid, 1e9f));
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits(0, 0x477fffff);  // finite, below overflow region
  for (int i = 0; i < 200000; ++i) inputs.push_back(std::bit_cast<float>(bits(rng)));
  for (float f : inputs) {
    ASSERT_EQ(float_to_fp16(f), model_float_to_half(f)) << f;
    ASSERT_EQ(float_to_fp16(-f), model_float_to_half(-f)) << -f;
  }
}

TEST(Bf16, KnownValuesAndRounding) {
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xC2F7), -123.5f);
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie -> even (down)
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808001u)), 0x3F81);  // above the tie
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x00018000u)), 0x0002);  // subnormal kept
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // overflow -> inf
  const bf16_t nan = float_to_bf16(std::bit_cast<float>(0x7F800001u));  // signalling NaN
  EXPECT_TRUE(std::isnan(bf16_to_float(nan)));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = bf16_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_bf16(f), h) << std::hex << h;
  }
}

TEST(Fp16Rows, RowConversionsEqualScalar) {
  std::vector<uint16_t> halves(0x10000 + 5);
  for (size_t i = 0; i < halves.size(); ++i) halves[i] = static_cast<uint16_t>(i * 40503u);
  std::vector<float> floats(halves.size());
  fp16_to_float_row(halves.data(), floats.data(), static_cast<int64_t>(halves.size()));
  for (size_t i = 0; i < halves.size(); ++i) {
    const float want = fp16_to_float(halves[i]);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(floats[i]));
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(floats[i]), std::bit_cast<uint32_t>(want)) << i;
    }
  }
  std::mt19937 rng(3);
  std::uniform_int_distribution<uint32_t> bits(0, 0x7f7fffff);
  std::vector<float> src(100003);
  for (float& f : src)
    f = std::bit_cast<float>(bits(rng) | (static_cast<uint32_t>(rng()) & 0x80000000u));
  std::vector<uint16_t> h16(src.size());
  std::vector<uint16_t> b16(src.size());
  float_to_fp16_row(src.data(), h16.data(), static_cast<int64_t>(src.size()));
  float_to_bf16_row(src.data(), b16.data(), static_cast<int64_t>(src.size()));
  std::vector<float> back(src.size());
  bf16_to_float_row(b16.data(), back.data(), static_cast<int64_t>(src.size()));
  for (size_t i = 0; i < src.size(); ++i) {
    ASSERT_EQ(h16[i], float_to_fp16(src[i])) << src[i];
    ASSERT_EQ(b16[i], float_to_bf16(src[i])) << src[i];
    ASSERT_EQ(back[i], bf16_to_float(b16[i]));
  }
}

}  // namespace
}  // namespace dsinfer::tensor
