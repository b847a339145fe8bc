// RMSNorm: scalar reference against a double-precision formula, and every ISA against scalar.
#include "kernels/norm.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "weight_data.h"

namespace dsinfer::kernels {
namespace {

using testing_data::random_floats;

TEST(RmsNorm, ScalarMatchesFormula) {
  const int64_t n = 259;
  const auto x = random_floats(n * 3, 1, 3.0f);
  const auto w = random_floats(n, 2);
  std::vector<float> y(n * 3);
  rms_norm(x.data(), n, 3, n, w.data(), 1e-6f, y.data(), n, Isa::kScalar);
  for (int64_t r = 0; r < 3; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += double(x[r * n + i]) * x[r * n + i];
    const double scale = 1.0 / std::sqrt(ss / n + 1e-6);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(y[r * n + i], x[r * n + i] * scale * w[i], 1e-5);
    }
  }
}

class RmsNormIsa : public ::testing::TestWithParam<Isa> {};

TEST_P(RmsNormIsa, EqualsScalarWithin1e6Relative) {
  const Isa isa = GetParam();
  for (int64_t n : {8, 64, 256, 100, 1}) {
    const auto x = random_floats(n * 2, 3 + n, 2.0f);
    const auto w = random_floats(n, 4);
    std::vector<float> ref(n * 2), got(n * 2);
    rms_norm(x.data(), n, 2, n, w.data(), 1e-5f, ref.data(), n, Isa::kScalar);
    rms_norm(x.data(), n, 2, n, w.data(), 1e-5f, got.data(), n, isa);
    for (int64_t i = 0; i < 2 * n; ++i) {
      EXPECT_NEAR(got[i], ref[i], 1e-6f * (1.0f + std::fabs(ref[i])))
          << isa_name(isa) << " n=" << n;
    }
    // In place, without weight.
    std::vector<float> inplace = x;
    rms_norm(inplace.data(), n, 2, n, nullptr, 1e-5f, inplace.data(), n, isa);
    rms_norm(x.data(), n, 2, n, nullptr, 1e-5f, ref.data(), n, Isa::kScalar);
    for (int64_t i = 0; i < 2 * n; ++i)
      EXPECT_NEAR(inplace[i], ref[i], 1e-6f * (1.0f + std::fabs(ref[i])));
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, RmsNormIsa, ::testing::ValuesIn(available_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace dsinfer::kernels
