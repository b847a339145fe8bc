// MoE routing and combination on the device against the CPU model's moe_select: softmax and
// sigmoid gates, selection bias, group-limited routing, normalised and scaled weights.
#include <random>

#include "base/error.h"
#include "model/deepseek2_moe.h"
#include "unit/kernels/weight_data.h"
#include "unit/vulkan/vulkan_fixture.h"
#include "vulkan/ops_moe.h"

namespace dsinfer::vulkan::test {
namespace {

namespace data = kernels::testing_data;

struct RouteCase {
  const char* name;
  bool sigmoid;
  bool bias;
  int64_t n_groups, n_groups_used;
  bool norm;
  float scale;
};

class MoeRouteTest : public VulkanTest, public ::testing::WithParamInterface<RouteCase> {};

TEST_P(MoeRouteTest, MatchesCpuSelection) {
  const RouteCase c = GetParam();
  const int64_t n_expert = 64, k = 6, n_tok = 70;  // more tokens than one workgroup
  std::mt19937 rng(31);
  const auto logits = data::random_floats(static_cast<size_t>(n_tok * n_expert), rng, 2.0f);
  const auto bias =
      c.bias ? data::random_floats(static_cast<size_t>(n_expert), rng, 0.1f) : std::vector<float>{};

  model::MoeRouting r;
  r.n_expert = n_expert;
  r.n_used = k;
  r.gating = c.sigmoid ? model::ExpertGating::kSigmoid : model::ExpertGating::kSoftmax;
  r.n_groups = c.n_groups;
  r.n_groups_used = c.n_groups_used;
  r.norm = c.norm;
  r.scale = c.scale;
  model::MoeSelection cpu;
  model::moe_select(r, bias, logits.data(), n_tok, cpu);

  const DeviceBuffer lb = floats_to_device(logits);
  const DeviceBuffer bb = floats_to_device(bias);
  const DeviceBuffer ids = zeros(static_cast<size_t>(n_tok * k));
  const DeviceBuffer wts = zeros(static_cast<size_t>(n_tok * k));
  const DeviceMoeRouting dr{n_expert, k, c.sigmoid, c.n_groups, c.n_groups_used, c.norm, c.scale};
  rec().begin();
  moe_route(rec(), dr, {whole(lb), 0, n_expert}, n_tok, c.bias ? whole(bb) : BufferSlice{},
            whole(ids), whole(wts));
  rec().submit_and_wait();
  std::vector<int32_t> got_ids(static_cast<size_t>(n_tok * k));
  download(ids, 0, got_ids.data(), got_ids.size() * 4);
  const auto got_w = floats_from_device(wts, got_ids.size());
  EXPECT_EQ(got_ids, cpu.expert) << c.name;
  for (size_t i = 0; i < got_w.size(); ++i) {
    ASSERT_NEAR(got_w[i], cpu.weight[i], 1e-5f * (1.0f + std::fabs(cpu.weight[i])))
        << c.name << " weight " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Gates, MoeRouteTest,
    ::testing::Values(RouteCase{"softmax", false, false, 1, 1, false, 1.0f},
                      RouteCase{"softmax_norm_scaled", false, false, 1, 1, true, 2.5f},
                      RouteCase{"sigmoid_bias_groups", true, true, 8, 3, true, 2.5f}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(VulkanTest, MoeCombineSumsWeightedSlotsInOrder) {
  const int64_t n = 33, n_tok = 2, k = 3;
  std::mt19937 rng(32);
  const auto y = data::random_floats(static_cast<size_t>(n_tok * k * n), rng);
  const auto w = data::random_floats(static_cast<size_t>(n_tok * k), rng);
  const DeviceBuffer yb = floats_to_device(y);
  const DeviceBuffer wb = floats_to_device(w);
  const DeviceBuffer ob = zeros(static_cast<size_t>(n_tok * n));
  rec().begin();
  moe_combine(rec(), {whole(yb), 0, n}, whole(wb), k, {whole(ob), 0, n}, n_tok, n);
  rec().submit_and_wait();
  const auto got = floats_from_device(ob, static_cast<size_t>(n_tok * n));
  for (int64_t t = 0; t < n_tok; ++t) {
    for (int64_t d = 0; d < n; ++d) {
      float s = 0.0f;
      for (int64_t j = 0; j < k; ++j) s += w[t * k + j] * y[(t * k + j) * n + d];
      ASSERT_NEAR(got[t * n + d], s, 1e-5f);
    }
  }
}

TEST_F(VulkanTest, MoeRoutingRefusesShapesTheShaderCannotHold) {
  const DeviceBuffer b = zeros(1024);
  rec().begin();
  const DeviceMoeRouting too_many{512, 8, false, 1, 1, false, 1.0f};
  EXPECT_THROW(moe_route(rec(), too_many, {whole(b), 0, 512}, 1, {}, whole(b), whole(b)), Error);
  rec().submit_and_wait();
}

}  // namespace
}  // namespace dsinfer::vulkan::test
