// Softmax and SiLU-gated activation: scalar against double formulas, every ISA against scalar.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "weight_data.h"

#include "kernels/activation.h"
#include "kernels/softmax.h"

namespace dsinfer::kernels {
namespace {

using testing_data::random_floats;

TEST(Softmax, ScalarMatchesFormula) {
  auto x = random_floats(77, 1, 4.0f);
  x[5] = -INFINITY;
  std::vector<double> ref(x.size());
  double mx = -1e30, sum = 0;
  for (float v : x) mx = std::max(mx, double(v));
  for (size_t i = 0; i < x.size(); ++i) sum += (ref[i] = std::exp(double(x[i]) - mx));
  softmax_inplace(x.data(), static_cast<int64_t>(x.size()), Isa::kScalar);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], ref[i] / sum, 1e-6);
  EXPECT_EQ(x[5], 0.0f);
}

TEST(SiluMul, ScalarMatchesFormula) {
  const auto g = random_floats(100, 2, 5.0f);
  const auto u = random_floats(100, 3, 1.0f);
  std::vector<float> out(100);
  silu_mul(g.data(), u.data(), out.data(), 100, Isa::kScalar);
  for (size_t i = 0; i < 100; ++i) {
    const double s = g[i] / (1.0 + std::exp(-double(g[i])));
    EXPECT_NEAR(out[i], s * u[i], 1e-5 * (1 + std::fabs(s * u[i])));
  }
}

class ElementwiseIsa : public ::testing::TestWithParam<Isa> {};

// Bounds: the vectorised exp is within ~2 ulp of expf, so results agree to 1e-6 relative.
TEST_P(ElementwiseIsa, SoftmaxEqualsScalar) {
  for (int64_t n : {1, 7, 8, 33, 512}) {
    auto x = random_floats(static_cast<size_t>(n), 10 + static_cast<uint32_t>(n), 6.0f);
    if (n > 3) x[2] = -INFINITY;
    auto ref = x;
    softmax_inplace(ref.data(), n, Isa::kScalar);
    softmax_inplace(x.data(), n, GetParam());
    for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(x[i], ref[i], 1e-6f * (1e-3f + ref[i])) << i;
  }
}

TEST_P(ElementwiseIsa, SiluMulAndAddEqualScalar) {
  for (int64_t n : {1, 9, 64, 1000}) {
    auto g = random_floats(static_cast<size_t>(n), 20, 8.0f);
    if (n > 4) {
      g[0] = -100.0f;
      g[1] = 100.0f;
      g[2] = 0.0f;
    }
    const auto u = random_floats(static_cast<size_t>(n), 21, 1.0f);
    std::vector<float> ref(n), got(n);
    silu_mul(g.data(), u.data(), ref.data(), n, Isa::kScalar);
    silu_mul(g.data(), u.data(), got.data(), n, GetParam());
    for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(got[i], ref[i], 1e-6f * (1.0f + std::fabs(ref[i])));
    auto a = u, b = u;
    add_inplace(a.data(), g.data(), n, Isa::kScalar);
    add_inplace(b.data(), g.data(), n, GetParam());
    EXPECT_EQ(a, b);
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, ElementwiseIsa, ::testing::ValuesIn(available_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace dsinfer::kernels
