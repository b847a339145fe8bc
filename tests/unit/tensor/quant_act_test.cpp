// Activation quantisers: the dispatched (AVX2) paths give the scalar paths' bytes, follow the
// reference's rules (Q8_0/Q8_1 round half to even at 127/amax, Q8_K signed-max scale and
// bsums), and stay within the Q8 error bound.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "base/error.h"
#include "tensor/fp16.h"
#include "tensor/quant_error.h"
#include "tensor/quant_rows.h"
#include "tensor/quantize.h"

namespace dsinfer::tensor {
namespace {

std::vector<float> activations(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 2.f);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = normal(rng);
  // Special blocks: all zero, one repeated value, exact ties at half steps, +-max pairs.
  for (int i = 0; i < 256; ++i) x[static_cast<size_t>(i)] = 0.f;
  for (int i = 256; i < 512; ++i) x[static_cast<size_t>(i)] = -3.25f;
  for (int i = 512; i < 768; ++i)
    x[static_cast<size_t>(i)] = 0.5f * static_cast<float>(i % 255 - 127);
  x[768] = 5.f;
  x[769] = -5.f;
  x[800] = -5.f;
  return x;
}

template <typename Block>
bool same_bytes(const std::vector<Block>& a, const std::vector<Block>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Block)) == 0;
}

TEST(QuantAct, DispatchedEqualsScalar) {
  RecordProperty("avx2", quantize_act_uses_avx2() ? "yes" : "no");
  for (int64_t n : {int64_t{256} * 9, int64_t{256} * 40}) {
    const std::vector<float> x = activations(n, static_cast<uint32_t>(n));
    std::vector<BlockQ8_0> a0(n / 32), s0(n / 32);
    quantize_act_q8_0(x.data(), a0.data(), n);
    quantize_act_q8_0_scalar(x.data(), s0.data(), n);
    EXPECT_TRUE(same_bytes(a0, s0));
    std::vector<BlockQ8_1> a1(n / 32), s1(n / 32);
    quantize_act_q8_1(x.data(), a1.data(), n);
    quantize_act_q8_1_scalar(x.data(), s1.data(), n);
    EXPECT_TRUE(same_bytes(a1, s1));
    std::vector<BlockQ8_K> ak(n / 256), sk(n / 256);
    quantize_act_q8_k(x.data(), ak.data(), n);
    quantize_act_q8_k_scalar(x.data(), sk.data(), n);
    EXPECT_TRUE(same_bytes(ak, sk));
  }
}

TEST(QuantAct, Q8_0RoundsHalfToEvenAt127OverAmax) {
  float x[32] = {};
  x[0] = 127.f;
  x[1] = 2.5f;   // x * 127/127 = 2.5 -> 2 (even), unlike model files' roundf -> 3
  x[2] = -3.5f;  // -> -4
  x[3] = 1.5f;   // -> 2
  BlockQ8_0 b;
  quantize_act_q8_0(x, &b, 32);
  EXPECT_EQ(b.d, float_to_fp16(127.f / 127.f));
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 2);
  EXPECT_EQ(b.qs[2], -4);
  EXPECT_EQ(b.qs[3], 2);
  BlockQ8_1 c;
  quantize_act_q8_1(x, &c, 32);
  EXPECT_EQ(std::memcmp(c.qs, b.qs, 32), 0);
  EXPECT_EQ(fp16_to_float(c.s), 127.f + 2 - 4 + 2);  // d * sum(q) with d = 1
}

TEST(QuantAct, Q8_KSignAndBsums) {
  std::vector<float> x(256, 0.f);
  x[3] = -4.f;  // first element of largest |x|: negative
  x[9] = 4.f;
  x[17] = 1.f;
  BlockQ8_K b;
  quantize_act_q8_k(x.data(), &b, 256);
  // iscale = -127 / -4 = 31.75; d = 1 / 31.75
  EXPECT_EQ(b.d, 1.f / 31.75f);
  EXPECT_EQ(b.qs[3], -127);
  EXPECT_EQ(b.qs[9], 127);
  EXPECT_EQ(b.qs[17], 32);  // round(31.75) = 32
  for (int g = 0; g < 16; ++g) {
    int sum = 0;
    for (int i = 0; i < 16; ++i) sum += b.qs[16 * g + i];
    EXPECT_EQ(b.bsums[g], sum) << g;
  }
  EXPECT_EQ(b.bsums[0], 0);  // -127 + 127
  EXPECT_EQ(b.bsums[1], 32);
  // The activation path is the model-file Q8_K rule.
  BlockQ8_K r;
  quantize_row(DType::kQ8_K, x.data(), &r, 256);
  EXPECT_EQ(std::memcmp(&r, &b, sizeof(b)), 0);
}

TEST(QuantAct, ErrorWithinQ8Bound) {
  const int64_t n = 256 * 32;
  const std::vector<float> x = activations(n, 77);
  std::vector<BlockQ8_0> q0(n / 32);
  std::vector<BlockQ8_K> qk(n / 256);
  std::vector<float> y(n);
  quantize_act_q8_0(x.data(), q0.data(), n);
  dequantize_row_q8_0(q0.data(), y.data(), n);
  QuantError e = measure_quant_error(x.data(), y.data(), n, 32);
  EXPECT_LE(e.max_rel, quant_error_bound(DType::kQ8_0).max_rel);
  quantize_act_q8_k(x.data(), qk.data(), n);
  dequantize_row_q8_k(qk.data(), y.data(), n);
  e = measure_quant_error(x.data(), y.data(), n, 256);
  EXPECT_LE(e.max_rel, quant_error_bound(DType::kQ8_K).max_rel);
}

TEST(QuantAct, RejectsPartialBlocks) {
  std::vector<float> x(300, 1.f);
  std::vector<BlockQ8_K> k(2);
  std::vector<BlockQ8_0> b(10);
  EXPECT_THROW(quantize_act_q8_k(x.data(), k.data(), 300), Error);
  EXPECT_THROW(quantize_act_q8_0(x.data(), b.data(), 33), Error);
  EXPECT_NO_THROW(quantize_act_q8_0(x.data(), b.data(), 0));
}

}  // namespace
}  // namespace dsinfer::tensor
