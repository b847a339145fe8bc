// Paged KV store and attention on the device against kernels::attention_paged: GQA (llama,
// qwen2) and MLA's latent form (deepseek2: one KV head, V inside K), prefill chunks and decode
// rows in one batch, block tables out of order.
#include <cmath>
#include <random>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/attention.h"
#include "kernels/exec_context.h"
#include "tensor/fp16.h"
#include "tensor/quantize.h"
#include "unit/kernels/weight_data.h"
#include "unit/vulkan/vulkan_fixture.h"
#include "vulkan/ops_attention.h"

namespace dsinfer::vulkan::test {
namespace {

namespace data = kernels::testing_data;

struct AttnCase {
  const char* name;
  int64_t n_head, n_head_kv, dk, dv;
  bool mla;  // V = first dv elements of the K row (same pool)
};

class AttentionTest : public VulkanTest, public ::testing::WithParamInterface<AttnCase> {};

TEST_P(AttentionTest, MatchesCpuPagedAttention) {
  const AttnCase c = GetParam();
  const int64_t block = 4, n_blocks = 8;
  const int64_t k_row = c.n_head_kv * c.dk, v_row = c.mla ? k_row : c.n_head_kv * c.dv;
  std::mt19937 rng(21);
  auto to_half = [](const std::vector<float>& f) {
    std::vector<uint16_t> h(f.size());
    tensor::float_to_fp16_row(f.data(), h.data(), static_cast<int64_t>(f.size()));
    return h;
  };
  const auto k_pool =
      to_half(data::random_floats(static_cast<size_t>(n_blocks * block * k_row), rng));
  const auto v_pool =
      c.mla ? k_pool
            : to_half(data::random_floats(static_cast<size_t>(n_blocks * block * v_row), rng));
  // Sequence A: a prefill chunk of 5 tokens at positions 2..6; B: one decode token at 9.
  const std::vector<int32_t> bt_a = {5, 1};
  const std::vector<int32_t> bt_b = {0, 7, 3};
  const int64_t n_rows = 6, ldq = c.n_head * c.dk + 3, ldo = c.n_head * c.dv;
  const auto q = data::random_floats(static_cast<size_t>(n_rows * ldq), rng);

  kernels::AttentionDims dims{c.n_head, c.n_head_kv, c.dk, c.dv,
                              1.0f / std::sqrt(static_cast<float>(c.dk))};
  kernels::PagedKv cpu_kv{k_pool.data(), v_pool.data(), block, block * k_row,
                          block * v_row, k_row,         v_row};
  std::vector<float> cpu(static_cast<size_t>(n_rows * ldo));
  const kernels::AttentionTask cpu_tasks[] = {
      {q.data(), ldq, cpu.data(), ldo, 5, 2, bt_a.data()},
      {q.data() + 5 * ldq, ldq, cpu.data() + 5 * ldo, ldo, 1, 9, bt_b.data()}};
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  kernels::attention_paged(dims, cpu_kv, cpu_tasks, 2, ctx);

  DeviceBuffer kb(device(), k_pool.size() * 2, "k pool");
  upload(kb, 0, k_pool.data(), k_pool.size() * 2);
  DeviceBuffer vb(device(), v_pool.size() * 2, "v pool");
  upload(vb, 0, v_pool.data(), v_pool.size() * 2);
  const DeviceBuffer qb = floats_to_device(q);
  const DeviceBuffer ob = zeros(cpu.size());
  DeviceKv kv{whole(kb), c.mla ? whole(kb) : whole(vb), block, block * k_row, block * v_row, k_row,
              v_row};
  const DeviceAttentionTask tasks[] = {{0, 5, 2, bt_a}, {5, 1, 9, bt_b}};
  rec().begin();
  attention_paged(rec(), dims, kv, {whole(qb), 0, ldq}, {whole(ob), 0, ldo}, n_rows, tasks);
  rec().submit_and_wait();
  const auto got = floats_from_device(ob, cpu.size());
  for (size_t i = 0; i < got.size(); ++i) {
    // Probabilities are rounded to F16 on both sides; a rounding that lands on the other side
    // of a half-way point moves an output by ~2^-11 of a V element.
    ASSERT_NEAR(got[i], cpu[i], 2e-3) << c.name << " element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionTest,
                         ::testing::Values(AttnCase{"gqa", 4, 2, 64, 64, false},
                                           AttnCase{"mha", 2, 2, 128, 128, false},
                                           AttnCase{"mla_latent", 4, 1, 80, 64, true}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(VulkanTest, KvStoreWritesHalfRowsAtTheirSlots) {
  const int64_t width = 96, block = 4, n_blocks = 3;
  std::mt19937 rng(22);
  const auto src = data::random_floats(static_cast<size_t>(3 * width), rng);
  const std::vector<int32_t> bt = {2, 0};
  const std::vector<int64_t> dst = {kv_row_offset(bt, 3, block, block * width, width),
                                    kv_row_offset(bt, 4, block, block * width, width),
                                    kv_row_offset(bt, 5, block, block * width, width)};
  DeviceBuffer pool(device(), static_cast<size_t>(n_blocks * block * width) * 2, "pool");
  std::vector<uint16_t> zero(static_cast<size_t>(n_blocks * block * width), 0);
  upload(pool, 0, zero.data(), zero.size() * 2);
  const DeviceBuffer sb = floats_to_device(src);
  rec().begin();
  kv_store(rec(), {whole(sb), 0, width}, 3, width, whole(pool), dst);
  rec().submit_and_wait();
  std::vector<uint16_t> got(zero.size());
  download(pool, 0, got.data(), got.size() * 2);
  std::vector<uint16_t> want(zero);
  for (int t = 0; t < 3; ++t) {
    tensor::float_to_fp16_row(src.data() + t * width, want.data() + dst[static_cast<size_t>(t)],
                              width);
  }
  EXPECT_EQ(got, want);
  std::vector<int64_t> outside = {static_cast<int64_t>(zero.size())};
  rec().begin();
  EXPECT_THROW(kv_store(rec(), {whole(sb), 0, width}, 1, width, whole(pool), outside), Error);
  rec().submit_and_wait();
}

}  // namespace
}  // namespace dsinfer::vulkan::test
