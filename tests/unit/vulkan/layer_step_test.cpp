// A llama-style decoder layer recorded as one command buffer per step (norm, Q/K/V, RoPE, KV
// store, paged attention, output projection, residual, norm, SiLU FFN, residual), over two steps
// (a prefill of two sequences, then one decode token each), against the same layer on the CPU
// kernels with the dequantised weights. Checks that the ops compose: barriers between
// dispatches, KV written in a step and read by the next, row offsets into shared buffers.
#include <cmath>
#include <random>

#include "base/thread_pool.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/exec_context.h"
#include "kernels/matmul.h"
#include "kernels/norm.h"
#include "kernels/rope.h"
#include "tensor/quantize.h"
#include "unit/kernels/weight_data.h"
#include "unit/vulkan/vulkan_fixture.h"
#include "vulkan/device_weight.h"
#include "vulkan/ops_attention.h"
#include "vulkan/ops_layer.h"
#include "vulkan/ops_matmul.h"

namespace dsinfer::vulkan::test {
namespace {

using tensor::DType;
namespace data = kernels::testing_data;

constexpr int64_t kEmbd = 256, kHead = 4, kHeadKv = 2, kDim = 64, kFf = 512, kBlock = 4;
constexpr int64_t kQkv = (kHead + 2 * kHeadKv) * kDim;  // one row: q | k | v
constexpr int64_t kKvRow = kHeadKv * kDim, kBlocks = 6;

struct Weights {
  std::vector<uint8_t> qkv, o, gate, up, down;  // Q4_K
  std::vector<float> norm1, norm2;
};

std::vector<float> dequant(const std::vector<uint8_t>& w, int64_t n_in, int64_t n_out) {
  std::vector<float> f(static_cast<size_t>(n_in * n_out));
  tensor::dequantize_row(DType::kQ4_K, w.data(), f.data(), n_in * n_out);
  return f;
}

// The layer on the CPU, on float weights; kv: host pools (F16); rows of x updated in place.
struct CpuLayer {
  std::vector<float> qkv, o, gate, up, down, norm1, norm2;
  std::vector<uint16_t> k_pool, v_pool;
  ThreadPool pool{1};
  kernels::ExecContext ctx{pool};

  void mm(const std::vector<float>& w, int64_t n_in, int64_t n_out, const float* x, int64_t n,
          float* y) {
    kernels::matmul({DType::kF32, w.data(), n_in, n_out, 0}, x, n_in, n, y, n_out, ctx);
  }

  void step(std::vector<float>& x, const std::vector<int64_t>& pos,
            const std::vector<DeviceAttentionTask>& device_tasks,
            const std::vector<std::vector<int32_t>>& tables, const kernels::RopeConfig& rope) {
    const auto n = static_cast<int64_t>(pos.size());
    std::vector<float> h(static_cast<size_t>(n * kEmbd)), qkv_out(static_cast<size_t>(n * kQkv));
    kernels::rms_norm(x.data(), kEmbd, n, kEmbd, norm1.data(), 1e-6f, h.data(), kEmbd);
    mm(qkv, kEmbd, kQkv, h.data(), n, qkv_out.data());
    kernels::rope_rows(rope, qkv_out.data(), kQkv, n, pos.data(), kHead, kDim, ctx);
    kernels::rope_rows(rope, qkv_out.data() + kHead * kDim, kQkv, n, pos.data(), kHeadKv, kDim,
                       ctx);
    for (int64_t r = 0; r < n; ++r) {
      const auto& bt = tables[static_cast<size_t>(r)];
      const int64_t off =
          kv_row_offset(bt, pos[static_cast<size_t>(r)], kBlock, kBlock * kKvRow, kKvRow);
      tensor::float_to_fp16_row(qkv_out.data() + r * kQkv + kHead * kDim, k_pool.data() + off,
                                kKvRow);
      tensor::float_to_fp16_row(qkv_out.data() + r * kQkv + (kHead + kHeadKv) * kDim,
                                v_pool.data() + off, kKvRow);
    }
    std::vector<float> att(static_cast<size_t>(n * kHead * kDim));
    std::vector<kernels::AttentionTask> tasks;
    for (const auto& t : device_tasks) {
      tasks.push_back({qkv_out.data() + t.row0 * kQkv, kQkv, att.data() + t.row0 * kHead * kDim,
                       kHead * kDim, t.n_tokens, t.start_pos, t.block_table.data()});
    }
    const kernels::AttentionDims dims{kHead, kHeadKv, kDim, kDim, 1.0f / 8.0f};
    const kernels::PagedKv kv{k_pool.data(),   v_pool.data(), kBlock, kBlock * kKvRow,
                              kBlock * kKvRow, kKvRow,        kKvRow};
    kernels::attention_paged(dims, kv, tasks.data(), tasks.size(), ctx);
    std::vector<float> proj(static_cast<size_t>(n * kEmbd));
    mm(o, kHead * kDim, kEmbd, att.data(), n, proj.data());
    kernels::add_inplace(x.data(), proj.data(), n * kEmbd);
    kernels::rms_norm(x.data(), kEmbd, n, kEmbd, norm2.data(), 1e-6f, h.data(), kEmbd);
    std::vector<float> g(static_cast<size_t>(n * kFf)), u(g.size());
    mm(gate, kEmbd, kFf, h.data(), n, g.data());
    mm(up, kEmbd, kFf, h.data(), n, u.data());
    kernels::silu_mul(g.data(), u.data(), g.data(), n * kFf);
    mm(down, kFf, kEmbd, g.data(), n, proj.data());
    kernels::add_inplace(x.data(), proj.data(), n * kEmbd);
  }
};

TEST_F(VulkanTest, DecoderLayerStepsMatchTheCpuLayer) {
  std::mt19937 rng(41);
  Weights w;
  w.qkv = data::make_weights(DType::kQ4_K, kEmbd, kQkv, false, rng);
  w.o = data::make_weights(DType::kQ4_K, kHead * kDim, kEmbd, false, rng);
  w.gate = data::make_weights(DType::kQ4_K, kEmbd, kFf, false, rng);
  w.up = data::make_weights(DType::kQ4_K, kEmbd, kFf, false, rng);
  w.down = data::make_weights(DType::kQ4_K, kFf, kEmbd, false, rng);
  w.norm1 = data::random_floats(kEmbd, rng);
  w.norm2 = data::random_floats(kEmbd, rng);

  CpuLayer cpu;
  cpu.qkv = dequant(w.qkv, kEmbd, kQkv);
  cpu.o = dequant(w.o, kHead * kDim, kEmbd);
  cpu.gate = dequant(w.gate, kEmbd, kFf);
  cpu.up = dequant(w.up, kEmbd, kFf);
  cpu.down = dequant(w.down, kFf, kEmbd);
  cpu.norm1 = w.norm1;
  cpu.norm2 = w.norm2;
  cpu.k_pool.assign(static_cast<size_t>(kBlocks * kBlock * kKvRow), 0);
  cpu.v_pool = cpu.k_pool;

  VulkanDevice& dev = device();
  const DeviceWeight qkv = upload_weight(dev, {DType::kQ4_K, w.qkv.data(), kEmbd, kQkv, 0}, "qkv");
  const DeviceWeight o =
      upload_weight(dev, {DType::kQ4_K, w.o.data(), kHead * kDim, kEmbd, 0}, "o");
  const DeviceWeight gate = upload_weight(dev, {DType::kQ4_K, w.gate.data(), kEmbd, kFf, 0}, "g");
  const DeviceWeight up = upload_weight(dev, {DType::kQ4_K, w.up.data(), kEmbd, kFf, 0}, "u");
  const DeviceWeight down = upload_weight(dev, {DType::kQ4_K, w.down.data(), kFf, kEmbd, 0}, "d");
  const DeviceBuffer n1 = floats_to_device(w.norm1), n2 = floats_to_device(w.norm2);
  DeviceBuffer k_pool(dev, cpu.k_pool.size() * 2, "k pool"),
      v_pool(dev, cpu.k_pool.size() * 2, "v pool");
  upload(k_pool, 0, cpu.k_pool.data(), cpu.k_pool.size() * 2);
  upload(v_pool, 0, cpu.v_pool.data(), cpu.v_pool.size() * 2);
  const DeviceKv kv{whole(k_pool),   whole(v_pool), kBlock, kBlock * kKvRow,
                    kBlock * kKvRow, kKvRow,        kKvRow};

  kernels::RopeConfig rope_cfg;
  rope_cfg.layout = kernels::RopeLayout::kNeox;
  rope_cfg.n_dims = kDim;
  const std::vector<int32_t> bt_a = {3, 0}, bt_b = {5, 1};
  // Step 1: A prefills positions 0..4 (rows 0-4), B 0..2 (rows 5-7). Step 2: one token each.
  struct Step {
    std::vector<int64_t> pos;
    std::vector<std::vector<int32_t>> tables;
    std::vector<DeviceAttentionTask> tasks;
  };
  const std::vector<Step> steps = {{{0, 1, 2, 3, 4, 0, 1, 2},
                                    {bt_a, bt_a, bt_a, bt_a, bt_a, bt_b, bt_b, bt_b},
                                    {{0, 5, 0, bt_a}, {5, 3, 0, bt_b}}},
                                   {{5, 3}, {bt_a, bt_b}, {{0, 1, 5, bt_a}, {1, 1, 3, bt_b}}}};

  for (const Step& s : steps) {
    const auto n = static_cast<int64_t>(s.pos.size());
    std::vector<float> x = data::random_floats(static_cast<size_t>(n * kEmbd), rng);
    const DeviceBuffer xb = floats_to_device(x);
    const DeviceBuffer hb = zeros(static_cast<size_t>(n * kEmbd));
    const DeviceBuffer qkvb = zeros(static_cast<size_t>(n * kQkv));
    const DeviceBuffer attb = zeros(static_cast<size_t>(n * kHead * kDim));
    const DeviceBuffer projb = zeros(static_cast<size_t>(n * kEmbd));
    const DeviceBuffer gb = zeros(static_cast<size_t>(n * kFf)),
                       ub = zeros(static_cast<size_t>(n * kFf));
    std::vector<int64_t> k_rows;
    for (int64_t r = 0; r < n; ++r) {
      k_rows.push_back(kv_row_offset(s.tables[static_cast<size_t>(r)],
                                     s.pos[static_cast<size_t>(r)], kBlock, kBlock * kKvRow,
                                     kKvRow));
    }
    CommandRecorder& rc = rec();
    rc.begin();
    rms_norm(rc, {whole(xb), 0, kEmbd}, n, kEmbd, whole(n1), 1e-6f, {whole(hb), 0, kEmbd});
    matmul(rc, qkv, {whole(hb), 0, kEmbd}, n, {whole(qkvb), 0, kQkv});
    rope(rc, rope_cfg, {whole(qkvb), 0, kQkv}, n, s.pos.data(), kHead, kDim);
    rope(rc, rope_cfg, {whole(qkvb), kHead * kDim, kQkv}, n, s.pos.data(), kHeadKv, kDim);
    kv_store(rc, {whole(qkvb), kHead * kDim, kQkv}, n, kKvRow, whole(k_pool), k_rows);
    kv_store(rc, {whole(qkvb), (kHead + kHeadKv) * kDim, kQkv}, n, kKvRow, whole(v_pool), k_rows);
    attention_paged(rc, {kHead, kHeadKv, kDim, kDim, 1.0f / 8.0f}, kv, {whole(qkvb), 0, kQkv},
                    {whole(attb), 0, kHead * kDim}, n, s.tasks);
    matmul(rc, o, {whole(attb), 0, kHead * kDim}, n, {whole(projb), 0, kEmbd});
    add(rc, {whole(xb), 0, kEmbd}, {whole(projb), 0, kEmbd}, n, kEmbd);
    rms_norm(rc, {whole(xb), 0, kEmbd}, n, kEmbd, whole(n2), 1e-6f, {whole(hb), 0, kEmbd});
    matmul(rc, gate, {whole(hb), 0, kEmbd}, n, {whole(gb), 0, kFf});
    matmul(rc, up, {whole(hb), 0, kEmbd}, n, {whole(ub), 0, kFf});
    silu_mul(rc, {whole(gb), 0, kFf}, {whole(ub), 0, kFf}, {whole(gb), 0, kFf}, n, kFf);
    matmul(rc, down, {whole(gb), 0, kFf}, n, {whole(projb), 0, kEmbd});
    add(rc, {whole(xb), 0, kEmbd}, {whole(projb), 0, kEmbd}, n, kEmbd);
    rc.submit_and_wait();
    EXPECT_EQ(rc.dispatch_count(), 15u);

    cpu.step(x, s.pos, s.tasks, s.tables, rope_cfg);
    const auto got = floats_from_device(xb, x.size());
    double max_abs = 0;
    for (float v : x) max_abs = std::max(max_abs, std::fabs(static_cast<double>(v)));
    for (size_t i = 0; i < x.size(); ++i) {
      ASSERT_NEAR(got[i], x[i], 2e-3 * max_abs) << "step with " << n << " rows, element " << i;
    }
  }
}

}  // namespace
}  // namespace dsinfer::vulkan::test
