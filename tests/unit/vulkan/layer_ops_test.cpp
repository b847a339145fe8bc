// RMSNorm, RoPE (normal, NeoX, YaRN with frequency factors), softmax, SiLU gating, residual
// add and strided row copies on the device against the CPU kernels.
#include <cmath>
#include <random>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/activation.h"
#include "kernels/exec_context.h"
#include "kernels/norm.h"
#include "kernels/rope.h"
#include "kernels/softmax.h"
#include "unit/kernels/weight_data.h"
#include "unit/vulkan/vulkan_fixture.h"
#include "vulkan/ops_layer.h"

namespace dsinfer::vulkan::test {
namespace {

namespace data = kernels::testing_data;

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float rel,
                  const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], rel * (1.0f + std::fabs(want[i]))) << what << " element " << i;
  }
}

TEST_F(VulkanTest, RmsNormMatchesCpuWithAndWithoutWeight) {
  const int64_t n = 1000, rows = 5, ld = 1003;  // n not a multiple of the workgroup
  std::mt19937 rng(3);
  const auto x = data::random_floats(static_cast<size_t>(rows * ld), rng, 3.0f);
  const auto w = data::random_floats(static_cast<size_t>(n), rng);
  const DeviceBuffer xb = floats_to_device(x);
  const DeviceBuffer wb = floats_to_device(w);
  for (const bool weighted : {true, false}) {
    const DeviceBuffer yb = zeros(static_cast<size_t>(rows * n));
    rec().begin();
    rms_norm(rec(), {whole(xb), 0, ld}, rows, n, weighted ? whole(wb) : BufferSlice{}, 1e-6f,
             {whole(yb), 0, n});
    rec().submit_and_wait();
    std::vector<float> cpu(static_cast<size_t>(rows * n));
    kernels::rms_norm(x.data(), ld, rows, n, weighted ? w.data() : nullptr, 1e-6f, cpu.data(), n);
    expect_close(floats_from_device(yb, cpu.size()), cpu, 1e-5f, "rms_norm");
  }
}

TEST_F(VulkanTest, RmsNormInPlace) {
  const int64_t n = 64;
  std::mt19937 rng(4);
  const auto x = data::random_floats(static_cast<size_t>(2 * n), rng);
  const DeviceBuffer xb = floats_to_device(x);
  rec().begin();
  rms_norm(rec(), {whole(xb), 0, n}, 2, n, {}, 1e-5f, {whole(xb), 0, n});
  rec().submit_and_wait();
  std::vector<float> cpu(x);
  kernels::rms_norm(cpu.data(), n, 2, n, nullptr, 1e-5f, cpu.data(), n);
  expect_close(floats_from_device(xb, cpu.size()), cpu, 1e-5f, "rms_norm in place");
}

struct RopeCase {
  const char* name;
  kernels::RopeLayout layout;
  int64_t n_dims;
  bool yarn;
};

class RopeTest : public VulkanTest, public ::testing::WithParamInterface<RopeCase> {};

TEST_P(RopeTest, MatchesCpuRopeRows) {
  const RopeCase c = GetParam();
  const int64_t n_heads = 3, head = 64, rows = 6, ld = n_heads * head + 8, off = 4;
  std::vector<float> freq_factors(static_cast<size_t>(c.n_dims / 2));
  for (size_t i = 0; i < freq_factors.size(); ++i) freq_factors[i] = 1.0f + 0.1f * i;
  kernels::RopeConfig cfg;
  cfg.layout = c.layout;
  cfg.n_dims = c.n_dims;
  cfg.freq_base = 10000.0f;
  if (c.yarn) {
    cfg.freq_scale = 0.25f;
    cfg.ext_factor = 1.0f;
    cfg.n_ctx_orig = 4096;
    cfg.attn_factor = 1.1f;
    cfg.freq_factors = freq_factors.data();
  }
  std::mt19937 rng(5);
  const auto x = data::random_floats(static_cast<size_t>(rows * ld + off), rng);
  const std::vector<int64_t> pos = {0, 1, 7, 100, 4095, 30000};
  const DeviceBuffer xb = floats_to_device(x);
  rec().begin();
  rope(rec(), cfg, {whole(xb), off, ld}, rows, pos.data(), n_heads, head);
  rec().submit_and_wait();
  std::vector<float> cpu(x);
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  kernels::rope_rows(cfg, cpu.data() + off, ld, rows, pos.data(), n_heads, head, ctx);
  expect_close(floats_from_device(xb, cpu.size()), cpu, 1e-6f, c.name);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, RopeTest,
    ::testing::Values(RopeCase{"normal", kernels::RopeLayout::kNormal, 64, false},
                      RopeCase{"neox", kernels::RopeLayout::kNeox, 64, false},
                      RopeCase{"neox_partial", kernels::RopeLayout::kNeox, 32, false},
                      RopeCase{"normal_yarn", kernels::RopeLayout::kNormal, 64, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(VulkanTest, SoftmaxMatchesCpuIncludingMinusInfinity) {
  const int64_t n = 300, rows = 3;
  std::mt19937 rng(6);
  auto x = data::random_floats(static_cast<size_t>(rows * n), rng, 5.0f);
  x[3] = -INFINITY;
  const DeviceBuffer xb = floats_to_device(x);
  rec().begin();
  softmax(rec(), {whole(xb), 0, n}, rows, n);
  rec().submit_and_wait();
  std::vector<float> cpu(x);
  for (int64_t r = 0; r < rows; ++r) kernels::softmax_inplace(cpu.data() + r * n, n);
  const auto got = floats_from_device(xb, cpu.size());
  EXPECT_EQ(got[3], 0.0f);
  expect_close(got, cpu, 1e-5f, "softmax");
}

TEST_F(VulkanTest, SiluMulAndAddMatchCpu) {
  const int64_t n = 700, rows = 2;
  std::mt19937 rng(8);
  const auto g = data::random_floats(static_cast<size_t>(rows * n), rng, 4.0f);
  const auto u = data::random_floats(static_cast<size_t>(rows * n), rng);
  const DeviceBuffer gb = floats_to_device(g);
  const DeviceBuffer ub = floats_to_device(u);
  const DeviceBuffer ob = zeros(static_cast<size_t>(rows * n));
  rec().begin();
  silu_mul(rec(), {whole(gb), 0, n}, {whole(ub), 0, n}, {whole(ob), 0, n}, rows, n);
  add(rec(), {whole(ob), 0, n}, {whole(ub), 0, n}, rows, n);
  rec().submit_and_wait();
  std::vector<float> cpu(static_cast<size_t>(rows * n));
  kernels::silu_mul(g.data(), u.data(), cpu.data(), rows * n);
  kernels::add_inplace(cpu.data(), u.data(), rows * n);
  expect_close(floats_from_device(ob, cpu.size()), cpu, 1e-6f, "silu_mul + add");
}

// One head's part of each row into another layout (MLA's query RoPE parts into the absorbed
// query): 3 rows x 4 heads of 10 floats, floats 6..9 of each head into 4 heads of 12 at 8.
TEST_F(VulkanTest, CopyRowsCopiesStridedPartsOnly) {
  const int64_t pairs = 12, n = 4;
  std::mt19937 rng(9);
  const auto x = data::random_floats(static_cast<size_t>(pairs * 10), rng);
  const auto y0 = data::random_floats(static_cast<size_t>(pairs * 12), rng);
  const DeviceBuffer xb = floats_to_device(x);
  const DeviceBuffer yb = floats_to_device(y0);
  rec().begin();
  copy_rows(rec(), {whole(xb), 6, 10}, {whole(yb), 8, 12}, pairs, n);
  rec().submit_and_wait();
  std::vector<float> want(y0);
  for (int64_t p = 0; p < pairs; ++p) {
    for (int64_t i = 0; i < n; ++i) want[p * 12 + 8 + i] = x[p * 10 + 6 + i];
  }
  EXPECT_EQ(floats_from_device(yb, want.size()), want);
  // A view past its buffer is a caller's bug, caught before recording.
  rec().begin();
  EXPECT_THROW(copy_rows(rec(), {whole(xb), 7, 10}, {whole(yb), 8, 12}, pairs, n), Error);
}

}  // namespace
}  // namespace dsinfer::vulkan::test
