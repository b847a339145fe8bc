// The lane-parallel (AVX2) K-type scale searches equal the scalar ones bit for bit, including
// degenerate sub-blocks (constant, all zero, all positive, single outlier).
#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tensor/cpu_features.h"
#include "tensor/quant_k_search.h"

namespace dsinfer::tensor::detail {
namespace {

// 256 values; sub-block flavour chosen per sub-block from `seed`.
std::vector<float> super_block(std::mt19937& rng, int sub_len) {
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_int_distribution<int> flavour(0, 7);
  std::vector<float> x(256);
  for (int s = 0; s < 256 / sub_len; ++s) {
    const int f = flavour(rng);
    const float c = normal(rng);
    for (int i = 0; i < sub_len; ++i) {
      float v = normal(rng);
      switch (f) {
        case 0:
          v = c;
          break;  // constant
        case 1:
          v = 0.f;
          break;  // all zero
        case 2:
          v = std::fabs(v) + 0.5f;
          break;  // all positive (min clamps to 0)
        case 3:
          v = (i == 3) ? 40.f * c : 0.01f * v;
          break;  // one outlier
        case 4:
          v = static_cast<float>(static_cast<int>(v * 4)) * 0.25f;
          break;  // on a grid
        default:
          break;
      }
      x[s * sub_len + i] = v;
    }
  }
  return x;
}

TEST(QuantKSearch, LaneParallelScaleMinEqualsScalar) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU: only the scalar search exists";
  std::mt19937 rng(11);
  for (int trial = 0; trial < 3000; ++trial) {
    const std::vector<float> x = super_block(rng, 32);
    std::vector<float> w(256);
    for (int i = 0; i < 256; ++i) w[i] = 0.3f + std::fabs(x[i]);
    for (const auto& [nmax, rmin, nstep] : {std::tuple{15, -1.f, 20}, std::tuple{31, -0.5f, 15}}) {
      uint8_t l_simd[256], l_scalar[256];
      float s_simd[8], s_scalar[8], m_simd[8], m_scalar[8];
      fit_scale_min_8x32(x.data(), w.data(), nmax, rmin, 0.1f, nstep, l_simd, s_simd, m_simd, true);
      fit_scale_min_8x32(x.data(), w.data(), nmax, rmin, 0.1f, nstep, l_scalar, s_scalar, m_scalar,
                         false);
      ASSERT_EQ(std::memcmp(l_simd, l_scalar, 256), 0) << "trial " << trial;
      ASSERT_EQ(std::memcmp(s_simd, s_scalar, sizeof(s_simd)), 0) << "trial " << trial;
      ASSERT_EQ(std::memcmp(m_simd, m_scalar, sizeof(m_simd)), 0) << "trial " << trial;
    }
  }
}

TEST(QuantKSearch, LaneParallelSymmetricEqualsScalar) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU: only the scalar search exists";
  std::mt19937 rng(12);
  for (int trial = 0; trial < 3000; ++trial) {
    const std::vector<float> x = super_block(rng, 16);
    int8_t l_simd[256], l_scalar[256];
    float s_simd[16], s_scalar[16];
    fit_symmetric_16x16(x.data(), 32, l_simd, s_simd, true);
    fit_symmetric_16x16(x.data(), 32, l_scalar, s_scalar, false);
    ASSERT_EQ(std::memcmp(l_simd, l_scalar, 256), 0) << "trial " << trial;
    ASSERT_EQ(std::memcmp(s_simd, s_scalar, sizeof(s_simd)), 0) << "trial " << trial;
  }
}

}  // namespace
}  // namespace dsinfer::tensor::detail
