// matmul tests: every ISA variant this CPU has x every weight type equals the scalar reference
// (explicit tolerances), the scalar reference equals a float computation on dequantised weights
// within the activation-quantisation error bound, plus argument checks and call counting.
#include "kernels/matmul.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/error.h"
#include "kernels/isa.h"
#include "kernels/weight_pack.h"
#include "kernels/weight_types.h"
#include "tensor/dtype.h"
#include "tensor/quantize.h"
#include "weight_data.h"

namespace dsinfer::kernels {
namespace {

using tensor::DType;
using testing_data::make_weights;
using testing_data::random_floats;

// Every type the matmul computes (kernels/weight_types.h).
const std::vector<DType> kAllTypes = matmul_types();

bool is_k_type(DType t) { return tensor::dtype_info(t).block_size == 256; }
using testing_data::is_float_type;

struct Case {
  int64_t n_in;
  int64_t n_out;
  int64_t n_rows;
};

std::vector<Case> cases_for(DType t) {
  std::vector<Case> out;
  std::vector<int64_t> n_ins;
  if (is_k_type(t)) {
    n_ins = {256, 768};
  } else if (is_float_type(t)) {
    n_ins = {100, 96, 768};
  } else {
    n_ins = {32, 96, 768};
  }
  for (int64_t n_in : n_ins) {
    for (int64_t n_rows : {1, 3, 8, 33}) out.push_back({n_in, 37, n_rows});
  }
  out.push_back({2048, 101, 5});  // several weight panels
  out.push_back({4096, 3, 2});
  return out;
}

class MatmulIsaTest : public ::testing::TestWithParam<std::tuple<DType, Isa>> {};

TEST_P(MatmulIsaTest, EqualsScalarReference) {
  const auto [type, isa] = GetParam();
  if (!isa_available(isa)) {
    GTEST_SKIP() << "ISA " << isa_name(isa)
                 << " not available on this CPU (available: " << available_isas_text() << ")";
  }
  ThreadPool pool(3);
  kernels::ExecContext ctx(pool);
  std::mt19937 rng(1234 + static_cast<int>(type));
  int case_index = 0;
  for (const Case& c : cases_for(type)) {
    const bool random_bits = (case_index++ % 2) == 1;
    const auto wdata = make_weights(type, c.n_in, c.n_out, random_bits, rng);
    WeightView w{type, wdata.data(), c.n_in, c.n_out, 0};
    const auto x = random_floats(static_cast<size_t>(c.n_rows * c.n_in), rng);
    std::vector<float> y_ref(static_cast<size_t>(c.n_rows * c.n_out), -1.0f);
    std::vector<float> y(y_ref.size(), -2.0f);
    EXPECT_EQ(
        matmul_with_isa(Isa::kScalar, w, x.data(), c.n_in, c.n_rows, y_ref.data(), c.n_out, ctx),
        Isa::kScalar);
    ASSERT_EQ(matmul_with_isa(isa, w, x.data(), c.n_in, c.n_rows, y.data(), c.n_out, ctx), isa);
    float max_ref = 0.0f;
    for (float v : y_ref) max_ref = std::max(max_ref, std::fabs(v));
    // Same integer block sums, same quantised activations: only float summation order differs.
    const float tol = 2e-5f * max_ref * std::sqrt(static_cast<float>(c.n_in) / 32.0f) + 1e-6f;
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], y_ref[i], tol)
          << tensor::dtype_name(type) << " " << isa_name(isa) << " n_in " << c.n_in << " n_out "
          << c.n_out << " n_rows " << c.n_rows << " at " << i
          << (random_bits ? " (random bits)" : "");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulIsaTest,
                         ::testing::Combine(::testing::ValuesIn(kAllTypes),
                                            ::testing::ValuesIn(all_isas())),
                         [](const auto& info) {
                           return std::string(tensor::dtype_name(std::get<0>(info.param))) + "_" +
                                  isa_name(std::get<1>(info.param));
                         });

// The scalar reference against double-precision dot products of the dequantised weights with
// the float activations: the only difference allowed is the activations' rounding (8-bit blocks
// or fp16/bf16), bounded element by element.
class MatmulScalarTest : public ::testing::TestWithParam<DType> {};

TEST_P(MatmulScalarTest, MatchesDequantisedWeightsWithinActivationRounding) {
  const DType type = GetParam();
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  std::mt19937 rng(99);
  const int64_t n_in = 512, n_out = 9, n_rows = 3;
  const auto wdata = make_weights(type, n_in, n_out, false, rng);
  const size_t row = tensor::row_bytes(tensor::dtype_info(type), n_in);
  const auto x = random_floats(static_cast<size_t>(n_rows * n_in), rng);
  std::vector<float> y(static_cast<size_t>(n_rows * n_out));
  matmul_with_isa(Isa::kScalar, WeightView{type, wdata.data(), n_in, n_out, 0}, x.data(), n_in,
                  n_rows, y.data(), n_out, ctx);
  const int64_t block = is_k_type(type) ? 256 : 32;
  std::vector<float> wf(static_cast<size_t>(n_in));
  for (int64_t o = 0; o < n_out; ++o) {
    tensor::dequantize_row(type, wdata.data() + row * static_cast<size_t>(o), wf.data(), n_in);
    for (int64_t r = 0; r < n_rows; ++r) {
      const float* xr = x.data() + r * n_in;
      double exact = 0.0, bound = 1e-4;
      for (int64_t i = 0; i < n_in; ++i) {
        exact += static_cast<double>(wf[i]) * xr[i];
        double err = 0.0;
        if (type == DType::kF32) {
          err = 1e-6 * std::fabs(xr[i]);
        } else if (type == DType::kF16) {
          err = std::fabs(xr[i]) * 0x1p-11;
        } else if (type == DType::kBF16) {
          err = std::fabs(xr[i]) * 0x1p-8;
        } else {
          float amax = 0.0f;
          const int64_t b0 = i / block * block;
          for (int64_t k = b0; k < b0 + block; ++k) amax = std::max(amax, std::fabs(xr[k]));
          err = 0.6 * amax / 127.0;  // half a step, plus the fp16 rounding of the scale
        }
        bound += std::fabs(wf[i]) * err;
      }
      EXPECT_NEAR(y[static_cast<size_t>(r * n_out + o)], exact, bound)
          << tensor::dtype_name(type) << " row " << o << " act " << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulScalarTest, ::testing::ValuesIn(kAllTypes),
                         [](const auto& info) {
                           return std::string(tensor::dtype_name(info.param));
                         });

TEST(Matmul, StridesAndPaddedRows) {
  ThreadPool pool(2);
  kernels::ExecContext ctx(pool);
  std::mt19937 rng(5);
  const int64_t n_in = 256, n_out = 19, n_rows = 6, ldx = 300, ldy = 40;
  const DType type = DType::kQ4_K;
  const size_t row = tensor::row_bytes(tensor::dtype_info(type), n_in);
  const auto packed = make_weights(type, n_in, n_out, false, rng);
  std::vector<uint8_t> padded(static_cast<size_t>(n_out) * (row + 16));
  for (int64_t o = 0; o < n_out; ++o) {
    std::memcpy(padded.data() + o * (row + 16), packed.data() + o * row, row);
  }
  const auto x = random_floats(static_cast<size_t>(n_rows * ldx), rng);
  std::vector<float> y1(static_cast<size_t>(n_rows * n_out)),
      y2(static_cast<size_t>(n_rows * ldy), 7.0f);
  matmul(WeightView{type, packed.data(), n_in, n_out, 0}, x.data(), ldx, n_rows, y1.data(), n_out,
         ctx);
  matmul(WeightView{type, padded.data(), n_in, n_out, row + 16}, x.data(), ldx, n_rows, y2.data(),
         ldy, ctx);
  for (int64_t r = 0; r < n_rows; ++r) {
    for (int64_t o = 0; o < n_out; ++o) EXPECT_EQ(y1[r * n_out + o], y2[r * ldy + o]);
    for (int64_t o = n_out; o < ldy; ++o) EXPECT_EQ(y2[r * ldy + o], 7.0f);  // untouched
  }
}

TEST(Matmul, RejectsBadArguments) {
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  std::vector<uint8_t> w(4096);
  std::vector<float> x(512), y(64);
  EXPECT_THROW(
      matmul(WeightView{DType::kQ2_K, w.data(), 256, 1, 0}, x.data(), 256, 1, y.data(), 1, ctx),
      Error);
  EXPECT_THROW(
      matmul(WeightView{DType::kQ4_K, w.data(), 128, 1, 0}, x.data(), 128, 1, y.data(), 1, ctx),
      Error);
  EXPECT_THROW(
      matmul(WeightView{DType::kQ8_0, w.data(), 48, 1, 0}, x.data(), 48, 1, y.data(), 1, ctx),
      Error);
  EXPECT_THROW(
      matmul(WeightView{DType::kF32, w.data(), 64, 2, 0}, x.data(), 32, 1, y.data(), 2, ctx),
      Error);
  EXPECT_THROW(
      matmul(WeightView{DType::kF32, nullptr, 64, 2, 0}, x.data(), 64, 1, y.data(), 2, ctx), Error);
  if (!isa_available(Isa::kAvx512)) {
    EXPECT_THROW(matmul_with_isa(Isa::kAvx512, WeightView{DType::kF32, w.data(), 64, 2, 0},
                                 x.data(), 64, 1, y.data(), 2, ctx),
                 Error);
  }
}

TEST(Matmul, SelectedIsaIsTheBestAvailableUnlessForced) {
  if (std::getenv("DSINFER_CPU_ISA") == nullptr) {
    EXPECT_EQ(selected_isa(), available_isas().back());
  }
}

// BF16 weights with vdpbf16ps (the avx512vnni variant where the CPU has AVX512_BF16): against
// the scalar reference on every tail length of a 32-element step (n_in 1..64), every activation
// and weight row remainder, and against the FMA kernel (avx512) on a model-sized row.
TEST(Matmul, Bf16DotProductsEqualTheScalarReference) {
  if (!bf16_dot_available()) {
    GTEST_SKIP() << "BF16 dot products (vdpbf16ps) not available: this CPU lacks AVX512_BF16 or "
                    "AVX-512 VNNI (available: "
                 << available_isas_text() << ")";
  }
  ThreadPool pool(2);
  kernels::ExecContext ctx(pool);
  std::mt19937 rng(99);
  std::vector<Case> cases;
  for (int64_t n_in = 1; n_in <= 64; ++n_in) cases.push_back({n_in, 1 + n_in % 9, 1 + n_in % 6});
  cases.push_back({1536, 13, 9});
  for (const Case& c : cases) {
    const auto wdata = make_weights(DType::kBF16, c.n_in, c.n_out, false, rng);
    const WeightView w{DType::kBF16, wdata.data(), c.n_in, c.n_out, 0};
    const auto x = random_floats(static_cast<size_t>(c.n_rows * c.n_in), rng);
    std::vector<float> y_ref(static_cast<size_t>(c.n_rows * c.n_out), -1.0f);
    std::vector<float> y(y_ref.size(), -2.0f), y_fma(y_ref.size(), -3.0f);
    matmul_with_isa(Isa::kScalar, w, x.data(), c.n_in, c.n_rows, y_ref.data(), c.n_out, ctx);
    matmul_with_isa(Isa::kAvx512Vnni, w, x.data(), c.n_in, c.n_rows, y.data(), c.n_out, ctx);
    matmul_with_isa(Isa::kAvx512, w, x.data(), c.n_in, c.n_rows, y_fma.data(), c.n_out, ctx);
    float max_ref = 0.0f;
    for (float v : y_ref) max_ref = std::max(max_ref, std::fabs(v));
    const float tol = 2e-5f * max_ref * std::sqrt(static_cast<float>(c.n_in) / 32.0f) + 1e-6f;
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], y_ref[i], tol)
          << "n_in " << c.n_in << " n_out " << c.n_out << " n_rows " << c.n_rows << " at " << i;
      ASSERT_NEAR(y[i], y_fma[i], tol) << "vs FMA, n_in " << c.n_in << " at " << i;
    }
  }
  EXPECT_EQ(selected_isa_text(),
            selected_isa() == Isa::kAvx512Vnni ? "avx512vnni+bf16" : isa_name(selected_isa()));
}

// matmul_multi: several weights (mixed types and layouts) on one x equal one matmul() each, bit
// for bit, whatever the thread count; every target is counted once.
TEST(Matmul, MultiEqualsOneCallPerTarget) {
  std::mt19937 rng(21);
  const int64_t n_in = 512;
  const auto q4 = make_weights(DType::kQ4_K, n_in, 72, false, rng);
  const auto q6 = make_weights(DType::kQ6_K, n_in, 40, true, rng);
  const auto q8 = make_weights(DType::kQ8_0, n_in, 33, false, rng);
  const auto f32 = make_weights(DType::kF32, n_in, 5, false, rng);
  for (const int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    kernels::ExecContext ctx(pool);
    const kernels::PackedWeight q4_packed =
        pack_rows8(WeightView{DType::kQ4_K, q4.data(), n_in, 72, 0}, ctx);
    const WeightView views[] = {q4_packed.view(), WeightView{DType::kQ6_K, q6.data(), n_in, 40, 0},
                                WeightView{DType::kQ8_0, q8.data(), n_in, 33, 0},
                                WeightView{DType::kF32, f32.data(), n_in, 5, 0}};
    for (const int64_t n_rows : {1, 6}) {
      const auto x = random_floats(static_cast<size_t>(n_rows * n_in), rng);
      std::vector<std::vector<float>> alone, together;
      std::vector<MatmulTarget> targets;
      for (const auto& v : views) {
        alone.emplace_back(static_cast<size_t>(n_rows * v.n_out), -1.0f);
        together.emplace_back(static_cast<size_t>(n_rows * v.n_out), -2.0f);
        matmul(v, x.data(), n_in, n_rows, alone.back().data(), v.n_out, ctx);
      }
      for (size_t i = 0; i < std::size(views); ++i) {
        targets.push_back({views[i], together[i].data(), views[i].n_out});
      }
      matmul_call_counts_reset();
      matmul_counting_enable(true);
      matmul_multi(targets, x.data(), n_in, n_rows, ctx);
      matmul_counting_enable(false);
      for (size_t i = 0; i < std::size(views); ++i) {
        EXPECT_EQ(matmul_call_count(views[i].data), 1u);
        EXPECT_EQ(together[i], alone[i])
            << "target " << i << " threads " << threads << " rows " << n_rows;
      }
    }
  }
}

// Targets over their own stretches of x's rows (as a MoE layer's experts): each equals matmul()
// on just those rows, bit for bit, for every activation format and thread count; an empty
// stretch writes nothing; a stretch outside x is refused.
TEST(Matmul, MultiTargetsOnTheirOwnRows) {
  std::mt19937 rng(23);
  const int64_t n_in = 512;
  const int64_t n_rows = 9;
  const auto q4 = make_weights(DType::kQ4_K, n_in, 64, false, rng);
  const auto q8 = make_weights(DType::kQ8_0, n_in, 40, false, rng);
  const auto q8_short = make_weights(DType::kQ8_0, 256, 24, false, rng);  // reads 256 of 512
  const auto f32 = make_weights(DType::kF32, n_in, 5, false, rng);
  const auto x = random_floats(static_cast<size_t>(n_rows * n_in), rng);
  for (const int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    kernels::ExecContext ctx(pool);
    const kernels::PackedWeight q4_packed =
        pack_rows8(WeightView{DType::kQ4_K, q4.data(), n_in, 64, 0}, ctx);
    struct Case {
      WeightView w;
      int64_t row, rows;
    };
    const Case cases[] = {{q4_packed.view(), 0, 3},
                          {WeightView{DType::kQ4_K, q4.data(), n_in, 64, 0}, 3, 1},
                          {WeightView{DType::kQ8_0, q8.data(), n_in, 40, 0}, 4, 5},
                          {WeightView{DType::kQ8_0, q8_short.data(), 256, 24, 0}, 2, 6},
                          {WeightView{DType::kF32, f32.data(), n_in, 5, 0}, 8, 1},
                          {WeightView{DType::kQ8_0, q8.data(), n_in, 40, 0}, 5, 0}};
    std::vector<std::vector<float>> alone, together;
    std::vector<MatmulTarget> targets;
    for (const Case& c : cases) {
      alone.emplace_back(static_cast<size_t>(c.rows * c.w.n_out) + 1, -1.0f);
      together.emplace_back(static_cast<size_t>(c.rows * c.w.n_out) + 1, -1.0f);
      matmul(c.w, x.data() + c.row * n_in, n_in, c.rows, alone.back().data(), c.w.n_out, ctx);
    }
    for (size_t i = 0; i < std::size(cases); ++i) {
      targets.push_back(
          {cases[i].w, together[i].data(), cases[i].w.n_out, cases[i].row, cases[i].rows});
    }
    matmul_multi(targets, x.data(), n_in, n_rows, ctx);
    for (size_t i = 0; i < std::size(cases); ++i) {
      EXPECT_EQ(together[i], alone[i]) << "target " << i << " threads " << threads;
      EXPECT_EQ(together[i].back(), -1.0f) << "target " << i << " wrote past its rows";
    }
    std::vector<float> y(64 * 4);
    for (const auto& [row, rows] : {std::pair<int64_t, int64_t>{7, 3}, {-1, 2}, {10, 0}}) {
      const MatmulTarget bad{q4_packed.view(), y.data(), 64, row, rows};
      EXPECT_THROW(
          matmul_multi(std::span<const MatmulTarget>(&bad, 1), x.data(), n_in, n_rows, ctx), Error)
          << "rows [" << row << ", " << row + rows << ")";
    }
  }
}

// Threads claim pieces of the weight bytes dynamically: with many pieces (targets large enough
// to be cut into dozens, boundaries falling inside a target and between targets) every output
// row is written exactly once and equals the single-thread result.
TEST(Matmul, DynamicPiecesCoverEveryRowOnce) {
  std::mt19937 rng(22);
  const int64_t n_in = 1024;
  const auto q8 = make_weights(DType::kQ8_0, n_in, 1000, false, rng);  // ~1.1 MB
  const auto q4 = make_weights(DType::kQ4_K, n_in, 517, false, rng);   // ~0.3 MB, odd rows
  const WeightView views[] = {WeightView{DType::kQ8_0, q8.data(), n_in, 1000, 0},
                              WeightView{DType::kQ4_K, q4.data(), n_in, 517, 0}};
  for (const int64_t n_rows : {1, 3}) {
    const auto x = random_floats(static_cast<size_t>(n_rows * n_in), rng);
    std::vector<std::vector<float>> expect;
    ThreadPool one_pool(1);
    kernels::ExecContext one(one_pool);
    for (const auto& v : views) {
      expect.emplace_back(static_cast<size_t>(n_rows * v.n_out));
      matmul(v, x.data(), n_in, n_rows, expect.back().data(), v.n_out, one);
    }
    for (const int threads : {2, 3, 5}) {
      ThreadPool pool(threads);
      kernels::ExecContext ctx(pool);
      std::vector<std::vector<float>> got;
      std::vector<MatmulTarget> targets;
      for (const auto& v : views) {
        got.emplace_back(static_cast<size_t>(n_rows * v.n_out),
                         std::numeric_limits<float>::quiet_NaN());
      }
      for (size_t i = 0; i < std::size(views); ++i) {
        targets.push_back({views[i], got[i].data(), views[i].n_out});
      }
      matmul_multi(targets, x.data(), n_in, n_rows, ctx);
      for (size_t i = 0; i < std::size(views); ++i) {
        EXPECT_EQ(got[i], expect[i]) << "target " << i << " threads " << threads;
      }
    }
  }
}

TEST(Matmul, CountsCallsPerWeightWhenEnabled) {
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  std::vector<float> w1(64, 0.5f), w2(64, 0.25f), x(32, 1.0f), y(2);
  const WeightView a{DType::kF32, w1.data(), 32, 2, 0}, b{DType::kF32, w2.data(), 32, 2, 0};
  matmul_call_counts_reset();
  matmul(a, x.data(), 32, 1, y.data(), 2, ctx);
  EXPECT_EQ(matmul_call_count(w1.data()), 0u);  // off by default
  matmul_counting_enable(true);
  matmul(a, x.data(), 32, 1, y.data(), 2, ctx);
  matmul(a, x.data(), 32, 1, y.data(), 2, ctx);
  matmul(b, x.data(), 32, 1, y.data(), 2, ctx);
  matmul_counting_enable(false);
  matmul(b, x.data(), 32, 1, y.data(), 2, ctx);
  EXPECT_EQ(matmul_call_count(w1.data()), 2u);
  EXPECT_EQ(matmul_call_count(w2.data()), 1u);
  EXPECT_FLOAT_EQ(y[0], 8.0f);
  matmul_call_counts_reset();
  EXPECT_EQ(matmul_call_count(w1.data()), 0u);
}

}  // namespace
}  // namespace dsinfer::kernels
