// Weight repack (kernels/weight_pack.h): packing is lossless (unpack gives back the GGUF bytes),
// and matmul on a packed weight equals matmul on the original rows for every ISA variant.
#include "kernels/weight_pack.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/error.h"
#include "kernels/isa.h"
#include "tensor/dtype.h"
#include "weight_data.h"

namespace dsinfer::kernels {
namespace {

using tensor::DType;
using testing_data::make_weights;
using testing_data::random_floats;

class WeightPackTest : public ::testing::TestWithParam<DType> {};

TEST_P(WeightPackTest, UnpackGivesBackTheOriginalBytes) {
  const DType type = GetParam();
  ThreadPool pool(2);
  kernels::ExecContext ctx(pool);
  std::mt19937 rng(7);
  for (const bool random_bits : {false, true}) {
    const int64_t n_in = 768, n_out = 24;
    const auto data = make_weights(type, n_in, n_out, random_bits, rng);
    const WeightView w{type, data.data(), n_in, n_out, 0};
    ASSERT_TRUE(packable_rows8(w));
    const PackedWeight p = pack_rows8(w, ctx);
    EXPECT_EQ(p.view().layout, WeightLayout::kRows8);
    EXPECT_EQ(p.view().n_in, n_in);
    EXPECT_EQ(p.view().n_out, n_out);
    const size_t row = tensor::row_bytes(tensor::dtype_info(type), n_in);
    EXPECT_EQ(p.view().row_stride, row);
    std::vector<uint8_t> back(8 * row);
    for (int64_t g = 0; g < n_out / 8; ++g) {
      unpack_rows8(p.view(), g, back.data());
      for (size_t i = 0; i < back.size(); ++i) {
        ASSERT_EQ(back[i], data[static_cast<size_t>(g) * 8 * row + i])
            << tensor::dtype_name(type) << " group " << g << " byte " << i
            << (random_bits ? " (random bits)" : "");
      }
    }
  }
}

TEST_P(WeightPackTest, MatmulOnPackedRowsEqualsTheOriginalLayout) {
  const DType type = GetParam();
  ThreadPool pool(3);
  kernels::ExecContext ctx(pool);
  std::mt19937 rng(11 + static_cast<int>(type));
  struct Case {
    int64_t n_in, n_out, n_rows;
  };
  // Activation row counts 1-9 and 33: every remainder of the micro-kernels' row blocks.
  std::vector<Case> cases = {{256, 8, 1},  {256, 40, 3},   {768, 56, 4},  {768, 16, 5},
                             {512, 24, 8}, {2048, 264, 1}, {2048, 64, 9}, {256, 8, 33},
                             {256, 96, 7}, {512, 256, 7},  {256, 64, 7},  {512, 16, 2},
                             {256, 24, 6}, {256, 512, 7}};
  // 32-element block types: rows of 1 and of 3 blocks (an odd count for the 512-bit kernels).
  if (tensor::dtype_info(type).block_size == 32) {
    cases.insert(cases.end(), {{32, 8, 3}, {96, 16, 5}, {96, 8, 1}});
  }
  int index = 0;
  for (const Case& c : cases) {
    const bool random_bits = (index++ % 2) == 1;
    const auto data = make_weights(type, c.n_in, c.n_out, random_bits, rng);
    const WeightView rows{type, data.data(), c.n_in, c.n_out, 0};
    const PackedWeight packed = pack_rows8(rows, ctx);
    const auto x = random_floats(static_cast<size_t>(c.n_rows * c.n_in), rng);
    std::vector<float> y_ref(static_cast<size_t>(c.n_rows * c.n_out), -1.0f);
    matmul_with_isa(Isa::kScalar, rows, x.data(), c.n_in, c.n_rows, y_ref.data(), c.n_out, ctx);
    float max_ref = 0.0f;
    for (float v : y_ref) max_ref = std::max(max_ref, std::fabs(v));
    const float tol = 2e-5f * max_ref * std::sqrt(static_cast<float>(c.n_in) / 32.0f) + 1e-6f;
    int ran = 0;
    for (Isa isa : all_isas()) {
      if (!isa_available(isa)) {
        std::printf("SKIPPED %s packed %s: this CPU lacks it (available: %s)\n",
                    tensor::dtype_name(type), isa_name(isa), available_isas_text().c_str());
        continue;
      }
      ++ran;
      std::vector<float> y(y_ref.size(), -2.0f);
      ASSERT_EQ(
          matmul_with_isa(isa, packed.view(), x.data(), c.n_in, c.n_rows, y.data(), c.n_out, ctx),
          isa);
      for (size_t i = 0; i < y.size(); ++i) {
        // The scalar variant unpacks and runs the row code: bit for bit the same.
        if (isa == Isa::kScalar) {
          ASSERT_EQ(y[i], y_ref[i]) << tensor::dtype_name(type) << " at " << i;
        } else {
          ASSERT_NEAR(y[i], y_ref[i], tol)
              << tensor::dtype_name(type) << " " << isa_name(isa) << " n_in " << c.n_in << " n_out "
              << c.n_out << " n_rows " << c.n_rows << " at " << i
              << (random_bits ? " (random bits)" : "");
        }
      }
    }
    EXPECT_GE(ran, 1);
  }
}

// Every type with an 8-row layout (kernels/weight_types.h).
std::vector<DType> packed_types() {
  std::vector<DType> out;
  for (DType t : matmul_types()) {
    if (has_rows8_layout(t)) out.push_back(t);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(PackedTypes, WeightPackTest, ::testing::ValuesIn(packed_types()),
                         [](const auto& info) {
                           return std::string(tensor::dtype_name(info.param));
                         });

TEST(WeightPack, OnlyRowMajorPackableTypesWithWholeGroups) {
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  std::vector<uint8_t> buf(64 * 1024);
  EXPECT_TRUE(packable_rows8(WeightView{DType::kQ4_K, buf.data(), 256, 16, 0}));
  EXPECT_FALSE(packable_rows8(WeightView{DType::kQ4_K, buf.data(), 256, 12, 0}));
  EXPECT_TRUE(packable_rows8(WeightView{DType::kQ8_0, buf.data(), 96, 16, 0}));
  EXPECT_TRUE(packable_rows8(WeightView{DType::kQ5_0, buf.data(), 64, 8, 0}));
  EXPECT_TRUE(packable_rows8(WeightView{DType::kQ4_0, buf.data(), 32, 8, 0}));
  EXPECT_FALSE(packable_rows8(WeightView{DType::kQ4_0, buf.data(), 48, 8, 0}));
  EXPECT_TRUE(packable_rows8(WeightView{DType::kQ5_K, buf.data(), 256, 16, 0}));
  EXPECT_FALSE(packable_rows8(WeightView{DType::kQ5_K, buf.data(), 256, 4, 0}));
  EXPECT_FALSE(packable_rows8(WeightView{DType::kQ4_1, buf.data(), 256, 16, 0}));
  EXPECT_FALSE(packable_rows8(WeightView{DType::kQ6_K, nullptr, 256, 16, 0}));
  EXPECT_THROW(pack_rows8(WeightView{DType::kQ4_K, buf.data(), 256, 12, 0}, ctx), Error);
  const PackedWeight p = pack_rows8(WeightView{DType::kQ4_K, buf.data(), 256, 16, 0}, ctx);
  EXPECT_FALSE(packable_rows8(p.view()));  // already packed
}

TEST(WeightPack, MatmulRejectsAPackedViewOfAnotherType) {
  ThreadPool pool(1);
  kernels::ExecContext ctx(pool);
  std::vector<uint8_t> w(4096);
  std::vector<float> x(256), y(16);
  WeightView v{DType::kQ4_1, w.data(), 256, 8, 0};
  v.layout = WeightLayout::kRows8;
  EXPECT_THROW(matmul(v, x.data(), 256, 1, y.data(), 8, ctx), Error);
}

}  // namespace
}  // namespace dsinfer::kernels
