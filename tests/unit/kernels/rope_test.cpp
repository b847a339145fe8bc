// RoPE: both layouts against the closed-form rotation, linear scaling, YaRN helpers.
#include "kernels/rope.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "weight_data.h"

namespace dsinfer::kernels {
namespace {

using testing_data::random_floats;

// Closed form: pair i rotated by pos * scale * base^(-2i/n_dims).
void expect_rotated(const RopeConfig& c, int64_t pos, const std::vector<float>& in,
                    const std::vector<float>& out, int64_t n_heads, int64_t head, double tol) {
  for (int64_t h = 0; h < n_heads; ++h) {
    for (int64_t i = 0; i < c.n_dims / 2; ++i) {
      const double theta =
          double(pos) * c.freq_scale * std::pow(double(c.freq_base), -2.0 * i / c.n_dims);
      const int64_t a = c.layout == RopeLayout::kNormal ? 2 * i : i;
      const int64_t b = c.layout == RopeLayout::kNormal ? 2 * i + 1 : i + c.n_dims / 2;
      const double x0 = in[h * head + a], x1 = in[h * head + b];
      EXPECT_NEAR(out[h * head + a], x0 * std::cos(theta) - x1 * std::sin(theta), tol);
      EXPECT_NEAR(out[h * head + b], x0 * std::sin(theta) + x1 * std::cos(theta), tol);
    }
    for (int64_t i = c.n_dims; i < head; ++i) EXPECT_EQ(out[h * head + i], in[h * head + i]);
  }
}

TEST(Rope, NormalAndNeoxLayoutsMatchClosedForm) {
  ThreadPool pool(2);
  kernels::ExecContext ctx(pool);
  for (RopeLayout layout : {RopeLayout::kNormal, RopeLayout::kNeox}) {
    RopeConfig c;
    c.layout = layout;
    c.n_dims = 48;  // partial rotation: dims 48..63 unchanged
    c.freq_base = 10000.0f;
    const int64_t heads = 3, head = 64;
    const std::vector<int64_t> positions = {0, 1, 7, 100};
    auto x = random_floats(positions.size() * heads * head, 5);
    const auto in = x;
    rope_rows(c, x.data(), heads * head, static_cast<int64_t>(positions.size()), positions.data(),
              heads, head, ctx);
    for (size_t r = 0; r < positions.size(); ++r) {
      std::vector<float> rin(in.begin() + r * heads * head, in.begin() + (r + 1) * heads * head);
      std::vector<float> rout(x.begin() + r * heads * head, x.begin() + (r + 1) * heads * head);
      expect_rotated(c, positions[r], rin, rout, heads, head, 2e-4);
    }
  }
}

TEST(Rope, LinearScalingDividesPositions) {
  RopeConfig a, b;
  a.n_dims = b.n_dims = 16;
  a.freq_scale = 0.25f;
  std::vector<float> ca(16), cb(16);
  rope_cos_sin(a, 40, ca.data());
  rope_cos_sin(b, 10, cb.data());
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(ca[i], cb[i], 1e-5);
}

TEST(Rope, YarnCorrectionDimsAndRamp) {
  float dims[2];
  rope_yarn_corr_dims(64, 4096, 10000.0f, 32.0f, 1.0f, dims);
  EXPECT_EQ(dims[0], 10.0f);
  EXPECT_EQ(dims[1], 23.0f);
  EXPECT_EQ(rope_yarn_ramp(dims[0], dims[1], 0), 1.0f);   // fast dims: extrapolate
  EXPECT_EQ(rope_yarn_ramp(dims[0], dims[1], 62), 0.0f);  // slow dims: interpolate
  EXPECT_NEAR(rope_yarn_ramp(dims[0], dims[1], 33), 1.0f - 6.0f / 13.0f, 1e-6);
}

TEST(Rope, YarnMixesInterpolationAndExtrapolation) {
  RopeConfig c;
  c.n_dims = 64;
  c.freq_scale = 0.25f;
  c.ext_factor = 1.0f;
  c.n_ctx_orig = 4096;
  std::vector<float> cs(64);
  rope_cos_sin(c, 100, cs.data());
  const float mscale = 1.0f + 0.1f * std::log(4.0f);
  // Pair 0 is fully extrapolated (angle = pos), the last pair fully interpolated.
  EXPECT_NEAR(cs[0], std::cos(100.0f) * mscale, 1e-4);
  const double last = 100.0 * 0.25 * std::pow(10000.0, -62.0 / 64);
  EXPECT_NEAR(cs[62], std::cos(last) * mscale, 1e-4);
  EXPECT_NEAR(cs[63], std::sin(last) * mscale, 1e-4);
}

}  // namespace
}  // namespace dsinfer::kernels
