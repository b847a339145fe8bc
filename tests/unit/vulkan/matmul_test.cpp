// Dequantising matmul on the device against (1) the exact product of the dequantised weights
// (tensor::dequantize_row, in double) and (2) the CPU kernels (kernels::matmul), for every
// weight type the CPU matmul accepts, on the GEMV and the tiled GEMM path.
#include <cmath>
#include <random>
#include <tuple>

#include "base/thread_pool.h"
#include "kernels/exec_context.h"
#include "kernels/matmul.h"
#include "tensor/quantize.h"
#include "unit/kernels/weight_data.h"
#include "unit/vulkan/vulkan_fixture.h"
#include "vulkan/device_weight.h"
#include "vulkan/ops_matmul.h"

namespace dsinfer::vulkan::test {
namespace {

using tensor::DType;
namespace data = kernels::testing_data;

constexpr DType kTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ8_0,
                            DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1,
                            DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

struct Reference {
  std::vector<double> exact;  // dequantised weights x activations, in double
  std::vector<double> scale;  // sum |w x| per output: the error yardstick
};

Reference reference(DType type, const std::vector<uint8_t>& w, int64_t n_in, int64_t n_out,
                    const std::vector<float>& x, int64_t n_rows) {
  const size_t row = tensor::row_bytes(tensor::dtype_info(type), n_in);
  std::vector<float> wf(static_cast<size_t>(n_in * n_out));
  for (int64_t o = 0; o < n_out; ++o) {
    tensor::dequantize_row(type, w.data() + o * row, wf.data() + o * n_in, n_in);
  }
  Reference ref{std::vector<double>(static_cast<size_t>(n_rows * n_out)),
                std::vector<double>(static_cast<size_t>(n_rows * n_out))};
  for (int64_t r = 0; r < n_rows; ++r) {
    for (int64_t o = 0; o < n_out; ++o) {
      double s = 0, a = 0;
      for (int64_t i = 0; i < n_in; ++i) {
        const double p = static_cast<double>(wf[o * n_in + i]) * x[r * n_in + i];
        s += p;
        a += std::fabs(p);
      }
      ref.exact[r * n_out + o] = s;
      ref.scale[r * n_out + o] = a;
    }
  }
  return ref;
}

class MatmulTest : public VulkanTest,
                   public ::testing::WithParamInterface<std::tuple<DType, MatmulPath>> {};

TEST_P(MatmulTest, MatchesDequantisedReferenceAndCpuKernels) {
  const auto [type, path] = GetParam();
  // n_out not a multiple of the GEMM tile (64); n_rows not a multiple of 8 or 32.
  const int64_t n_in = 512, n_out = 67;
  std::mt19937 rng(1234 + static_cast<int>(type));
  for (const bool random_bits : {false, true}) {
    // GEMV: the one-row variant (decode) and the 8-row variant over two row groups.
    const int64_t n_rows = path == MatmulPath::kGemm ? 37 : random_bits ? 11 : 1;
    const auto w = data::make_weights(type, n_in, n_out, random_bits, rng);
    const auto x = data::random_floats(static_cast<size_t>(n_rows * n_in), rng);
    const Reference ref = reference(type, w, n_in, n_out, x, n_rows);

    const kernels::WeightView view{type, w.data(), n_in, n_out, 0};
    const DeviceWeight dw = upload_weight(device(), view, "w");
    const DeviceBuffer xb = floats_to_device(x);
    const DeviceBuffer yb = zeros(static_cast<size_t>(n_rows * n_out));
    rec().begin();
    matmul(rec(), dw, {whole(xb), 0, n_in}, n_rows, {whole(yb), 0, n_out}, path);
    rec().submit_and_wait();
    const auto y = floats_from_device(yb, static_cast<size_t>(n_rows * n_out));

    std::vector<float> cpu(static_cast<size_t>(n_rows * n_out));
    ThreadPool pool(1);
    kernels::ExecContext ctx(pool);
    kernels::matmul(view, x.data(), n_in, n_rows, cpu.data(), n_out, ctx);
    for (size_t i = 0; i < y.size(); ++i) {
      // Float accumulation of exact products: relative error ~ n_in * 2^-24 of sum |w x|.
      ASSERT_NEAR(y[i], ref.exact[i], 1e-5 * ref.scale[i] + 1e-6)
          << tensor::dtype_name(type) << " element " << i << " random_bits " << random_bits;
      // The CPU quantises activations to 8 bits for quantised weights: within ~1/127 of
      // each block's max, bounded here by 2% of sum |w x|.
      ASSERT_NEAR(y[i], cpu[i], 2e-2 * ref.scale[i] + 1e-5)
          << tensor::dtype_name(type) << " element " << i << " vs kernels::matmul";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, MatmulTest,
                         ::testing::Combine(::testing::ValuesIn(kTypes),
                                            ::testing::Values(MatmulPath::kGemv,
                                                              MatmulPath::kGemm)),
                         [](const auto& info) {
                           return std::string(tensor::dtype_name(std::get<0>(info.param))) +
                                  (std::get<1>(info.param) == MatmulPath::kGemv ? "_gemv"
                                                                                : "_gemm");
                         });

TEST_F(VulkanTest, MatmulWritesIntoOffsetRowsOfWiderBuffers) {
  // x and y are column ranges of wider row-major buffers (as Q/K/V slices of one buffer).
  const int64_t n_in = 64, n_out = 32, n_rows = 3, ldx = 100, ldy = 80, x_off = 5, y_off = 7;
  std::mt19937 rng(7);
  const auto w = data::make_weights(DType::kQ8_0, n_in, n_out, false, rng);
  const auto x = data::random_floats(static_cast<size_t>(n_rows * ldx + x_off), rng);
  const DeviceWeight dw = upload_weight(device(), {DType::kQ8_0, w.data(), n_in, n_out, 0}, "w");
  const DeviceBuffer xb = floats_to_device(x);
  const DeviceBuffer yb = zeros(static_cast<size_t>(n_rows * ldy + y_off));
  for (const MatmulPath path : {MatmulPath::kGemv, MatmulPath::kGemm}) {
    rec().begin();
    matmul(rec(), dw, {whole(xb), x_off, ldx}, n_rows, {whole(yb), y_off, ldy}, path);
    rec().submit_and_wait();
    const auto y = floats_from_device(yb, static_cast<size_t>(n_rows * ldy + y_off));
    std::vector<float> wf(static_cast<size_t>(n_in * n_out));
    tensor::dequantize_row(DType::kQ8_0, w.data(), wf.data(), n_in * n_out);
    for (int64_t r = 0; r < n_rows; ++r) {
      for (int64_t o = 0; o < n_out; ++o) {
        double s = 0;
        for (int64_t i = 0; i < n_in; ++i) s += wf[o * n_in + i] * x[x_off + r * ldx + i];
        ASSERT_NEAR(y[y_off + r * ldy + o], s, 1e-4) << r << "," << o;
      }
    }
  }
}

TEST_F(VulkanTest, ExpertMatmulPicksEachPairsExpert) {
  const int64_t n_in = 256, n_out = 40, n_exp = 4, n_tok = 3, k = 2;
  std::mt19937 rng(11);
  std::vector<std::vector<uint8_t>> w;
  std::vector<kernels::WeightView> views;
  for (int64_t e = 0; e < n_exp; ++e) {
    w.push_back(data::make_weights(DType::kQ4_K, n_in, n_out, false, rng));
  }
  for (auto& m : w) views.push_back({DType::kQ4_K, m.data(), n_in, n_out, 0});
  const DeviceWeight dw = upload_experts(device(), views, "experts");
  const auto x = data::random_floats(static_cast<size_t>(n_tok * n_in), rng);
  const std::vector<int32_t> ids = {3, 0, 1, 1, 2, 7};  // 7: out of range -> zeros
  const DeviceBuffer xb = floats_to_device(x);
  DeviceBuffer idb(device(), ids.size() * 4, "ids");
  upload(idb, 0, ids.data(), ids.size() * 4);
  const DeviceBuffer yb = zeros(static_cast<size_t>(n_tok * k * n_out));
  rec().begin();
  matmul_experts(rec(), dw, {whole(xb), 0, n_in}, whole(idb), n_tok * k, k, {whole(yb), 0, n_out});
  rec().submit_and_wait();
  const auto y = floats_from_device(yb, static_cast<size_t>(n_tok * k * n_out));
  for (int64_t pair = 0; pair < n_tok * k; ++pair) {
    const int32_t e = ids[static_cast<size_t>(pair)];
    std::vector<float> expect(static_cast<size_t>(n_out), 0.0f);
    if (e < n_exp) {
      ThreadPool pool(1);
      kernels::ExecContext ctx(pool);
      kernels::matmul(views[static_cast<size_t>(e)], x.data() + (pair / k) * n_in, n_in, 1,
                      expect.data(), n_out, ctx);
    }
    for (int64_t o = 0; o < n_out; ++o) {
      ASSERT_NEAR(y[pair * n_out + o], expect[o], 0.1) << "pair " << pair << " out " << o;
    }
  }
}

}  // namespace
}  // namespace dsinfer::vulkan::test
