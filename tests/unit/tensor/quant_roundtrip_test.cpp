// Round trips float -> type -> float for every quantisable type over several value
// distributions, held to the per-type bounds of tensor/quant_error.h; plus the reference's
// rounding rules on hand-made blocks and robustness on degenerate input.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/error.h"
#include "tensor/fp16.h"
#include "tensor/quant_error.h"
#include "tensor/quant_rows.h"
#include "tensor/quantize.h"

namespace dsinfer::tensor {
namespace {

enum class Dist { kNormal, kUniform, kHeavyTail, kOutliers, kOffset, kTinyScale, kSparse };

const char* dist_name(Dist d) {
  switch (d) {
    case Dist::kNormal:
      return "Normal";
    case Dist::kUniform:
      return "Uniform";
    case Dist::kHeavyTail:
      return "HeavyTail";
    case Dist::kOutliers:
      return "Outliers";
    case Dist::kOffset:
      return "Offset";
    case Dist::kTinyScale:
      return "TinyScale";
    case Dist::kSparse:
      return "Sparse";
  }
  return "?";
}

std::vector<float> make_values(Dist dist, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  std::student_t_distribution<float> heavy(2.f);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    float v = 0;
    switch (dist) {
      case Dist::kNormal:
        v = normal(rng);
        break;
      case Dist::kUniform:
        v = uniform(rng);
        break;
      case Dist::kHeavyTail:
        v = heavy(rng);
        break;
      case Dist::kOutliers:
        v = normal(rng) * (i % 97 == 0 ? 60.f : 1.f);
        break;
      case Dist::kOffset:
        v = uniform(rng) + 3.f;
        break;
      case Dist::kTinyScale:
        v = normal(rng) * 0.05f;  // typical weight magnitudes
        break;
      case Dist::kSparse:
        v = (i % 7 == 0) ? normal(rng) : 0.f;
        break;
    }
    x[static_cast<size_t>(i)] = v;
  }
  return x;
}

struct RoundTripCase {
  DType type;
  Dist dist;
};

class QuantRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(QuantRoundTrip, WithinTypeBound) {
  const auto [type, dist] = GetParam();
  const int64_t n = 256 * 64;
  const std::vector<float> x = make_values(dist, n, 1234 + static_cast<uint32_t>(dist));
  std::vector<uint8_t> q(row_bytes(dtype_info(type), n));
  std::vector<float> y(static_cast<size_t>(n));
  quantize_row(type, x.data(), q.data(), n);
  dequantize_row(type, q.data(), y.data(), n);
  const QuantError e = measure_quant_error(x.data(), y.data(), n, error_block(type));
  const QuantErrorBound bound = quant_error_bound(type);
  EXPECT_LE(e.max_rel, bound.max_rel);
  EXPECT_LE(e.rms_rel, bound.rms_rel);
  RecordProperty("max_rel", std::to_string(e.max_rel));
  RecordProperty("rms_rel", std::to_string(e.rms_rel));

  // Deterministic, and row-wise quantisation equals whole-buffer quantisation.
  std::vector<uint8_t> q2(q.size());
  quantize_rows(type, x.data(), q2.data(), 4, n / 4);
  EXPECT_EQ(q, q2);
}

std::vector<RoundTripCase> all_cases() {
  std::vector<RoundTripCase> cases;
  for (const DTypeInfo& info : dtype_table()) {  // every type dsinfer writes, but exact F32
    const DType t = info.type;
    if (!info.quantizable() || t == DType::kF32) continue;
    for (Dist d : {Dist::kNormal, Dist::kUniform, Dist::kHeavyTail, Dist::kOutliers, Dist::kOffset,
                   Dist::kTinyScale, Dist::kSparse}) {
      cases.push_back({t, d});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, QuantRoundTrip, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<RoundTripCase>& info) {
                           return std::string(dtype_name(info.param.type)) + "_" +
                                  dist_name(info.param.dist);
                         });

TEST(QuantRules, Q8_0RoundsHalfAwayFromZero) {
  float x[32] = {};
  x[0] = 127.f;  // amax 127 -> d = 1
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.49f;
  BlockQ8_0 b;
  quantize_row_q8_0(x, &b, 32);
  EXPECT_EQ(b.d, 0x3C00);
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[2], -3);
  EXPECT_EQ(b.qs[3], 0);
}

TEST(QuantRules, Q4_0ScaleFromSignedMaxElement) {
  float x[32] = {};
  x[0] = 8.f;   // first largest |x|: d = 8 / -8 = -1
  x[1] = -8.f;  // the other side clamps at q = 15 -> (15 - 8) * -1 = -7
  x[2] = 3.f;
  BlockQ4_0 b;
  quantize_row_q4_0(x, &b, 32);
  EXPECT_EQ(fp16_to_float(b.d), -1.f);
  float y[32];
  dequantize_row_q4_0(&b, y, 32);
  EXPECT_EQ(y[0], 8.f);
  EXPECT_EQ(y[1], -7.f);
  EXPECT_EQ(y[2], 3.f);
  EXPECT_EQ(y[3], 0.f);
}

TEST(QuantRules, Q5_0AndQ4_1AndQ5_1OnExactGrid) {
  float x[32];
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i - 16);  // -16..15: exact in Q5_0
  BlockQ5_0 b5;
  quantize_row_q5_0(x, &b5, 32);
  float y[32];
  dequantize_row_q5_0(&b5, y, 32);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], x[i]) << i;

  for (int i = 0; i < 32; ++i) x[i] = 0.5f * static_cast<float>(i % 16) - 2.f;  // 16 levels
  BlockQ4_1 b41;
  quantize_row_q4_1(x, &b41, 32);
  dequantize_row_q4_1(&b41, y, 32);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], x[i]) << i;

  for (int i = 0; i < 32; ++i) x[i] = 0.25f * static_cast<float>(i) + 1.f;  // 32 levels
  BlockQ5_1 b51;
  quantize_row_q5_1(x, &b51, 32);
  dequantize_row_q5_1(&b51, y, 32);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], x[i]) << i;
}

TEST(QuantRules, DegenerateInputsStayFiniteAndExact) {
  const int64_t n = 512;
  for (const DTypeInfo& info : dtype_table()) {
    const DType t = info.type;
    if (!info.quantizable() || t == DType::kF32) continue;
    SCOPED_TRACE(dtype_name(t));
    std::vector<uint8_t> q(row_bytes(dtype_info(t), n));
    std::vector<float> y(n);
    const std::vector<float> zeros(n, 0.f);
    quantize_row(t, zeros.data(), q.data(), n);
    dequantize_row(t, q.data(), y.data(), n);
    for (float v : y) ASSERT_EQ(v, 0.f);

    const std::vector<float> tiny(n, 1e-30f);
    quantize_row(t, tiny.data(), q.data(), n);
    dequantize_row(t, q.data(), y.data(), n);
    for (float v : y) ASSERT_TRUE(std::isfinite(v));

    // Non-finite input: any output, but no crash and no undefined behaviour (UBSan builds).
    std::vector<float> bad = make_values(Dist::kNormal, n, 5);
    bad[3] = std::numeric_limits<float>::quiet_NaN();
    bad[300] = std::numeric_limits<float>::infinity();
    bad[301] = -std::numeric_limits<float>::infinity();
    quantize_row(t, bad.data(), q.data(), n);
    dequantize_row(t, q.data(), y.data(), n);
  }
}

TEST(QuantRules, KTypesRequantiseDequantisedDataClosely) {
  // Quantising already-quantised values should not drift far: a second round trip stays
  // within the bound of the first.
  const int64_t n = 256 * 16;
  const std::vector<float> x = make_values(Dist::kNormal, n, 99);
  for (DType t : {DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_0, DType::kQ4_0}) {
    SCOPED_TRACE(dtype_name(t));
    std::vector<uint8_t> q(row_bytes(dtype_info(t), n));
    std::vector<float> y1(n), y2(n);
    quantize_row(t, x.data(), q.data(), n);
    dequantize_row(t, q.data(), y1.data(), n);
    quantize_row(t, y1.data(), q.data(), n);
    dequantize_row(t, q.data(), y2.data(), n);
    const QuantError e = measure_quant_error(y1.data(), y2.data(), n, error_block(t));
    EXPECT_LE(e.max_rel, quant_error_bound(t).max_rel);
  }
}

TEST(QuantRules, UnsupportedTargetsAndBadLengthsThrow) {
  float x[256] = {};
  uint8_t buf[512];
  try {
    quantize_row(DType::kIQ4_XS, x, buf, 256);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("IQ4_XS"), std::string::npos);
  }
  EXPECT_THROW(quantize_row(DType::kQ8_1, x, buf, 32), Error);  // activations only
  EXPECT_THROW(quantize_row(DType::kQ6_K, x, buf, 128), Error);
  EXPECT_THROW(quantize_rows(DType::kQ8_0, x, buf, -1, 32), Error);
  EXPECT_TRUE(can_quantize(DType::kQ4_K));
  EXPECT_FALSE(can_quantize(DType::kTQ2_0));
  EXPECT_TRUE(can_dequantize(DType::kQ3_K));
  EXPECT_FALSE(can_dequantize(DType::kIQ1_M));
}

TEST(QuantErrorMeasure, RelativeToBlockMax) {
  const float ref[4] = {1.f, -4.f, 0.5f, 0.f};
  const float got[4] = {1.5f, -4.f, 0.5f, 0.f};
  QuantError e = measure_quant_error(ref, got, 4, 2);
  EXPECT_DOUBLE_EQ(e.max_rel, 0.5 / 4.0);
  // sum err^2 = 0.25; sum scale^2 = 16 + 16 + 0.25 + 0.25
  EXPECT_DOUBLE_EQ(e.rms_rel, std::sqrt(0.25 / 32.5));
  const float nan_got[4] = {std::numeric_limits<float>::quiet_NaN(), -4.f, 0.5f, 0.f};
  e = measure_quant_error(ref, nan_got, 4, 2);
  EXPECT_FALSE(e.max_rel <= 1.0);  // NaN fails every bound
}

}  // namespace
}  // namespace dsinfer::tensor
