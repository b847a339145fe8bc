// Dequantisers on hand-built blocks: known bytes -> known floats. Expected values come from the
// format definitions written per element (which byte, which bits, which scale), independently
// of the row loops in src/tensor, plus a few literal values worked out by hand.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "base/error.h"
#include "tensor/fp16.h"
#include "tensor/quantize.h"

namespace dsinfer::tensor {
namespace {

constexpr fp16_t kHalfOne = 0x3C00;       // 1.0
constexpr fp16_t kHalfHalf = 0x3800;      // 0.5
constexpr fp16_t kHalfQuarter = 0x3400;   // 0.25
constexpr fp16_t kHalfEighth = 0x3000;    // 0.125
constexpr fp16_t kHalfMinusOne = 0xBC00;  // -1.0
constexpr fp16_t kHalfTwo = 0x4000;       // 2.0

template <typename Block>
std::vector<float> dequant(DType type, const Block& b, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n), -999.f);
  dequantize_row(type, &b, y.data(), n);
  return y;
}

// Nibble of element i (0..31) of a legacy 32-block: low nibbles hold 0..15, high 16..31.
int legacy_nibble(const uint8_t* qs, int i) { return i < 16 ? (qs[i] & 0xF) : (qs[i - 16] >> 4); }

TEST(DequantKnown, Q4_0) {
  BlockQ4_0 b{};
  b.d = kHalfHalf;
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const auto y = dequant(DType::kQ4_0, b, 32);
  EXPECT_EQ(y[0], -4.0f);   // (0 - 8) * 0.5
  EXPECT_EQ(y[15], 3.5f);   // (15 - 8) * 0.5
  EXPECT_EQ(y[16], 3.5f);   // high nibble of qs[0] = 15
  EXPECT_EQ(y[31], -4.0f);  // high nibble of qs[15] = 0
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], (legacy_nibble(b.qs, i) - 8) * 0.5f) << i;
}

TEST(DequantKnown, Q4_1) {
  BlockQ4_1 b{};
  b.d = kHalfQuarter;
  b.m = kHalfMinusOne;
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (((j + 1) % 16) << 4));
  const auto y = dequant(DType::kQ4_1, b, 32);
  EXPECT_EQ(y[0], -1.0f);
  EXPECT_EQ(y[15], 2.75f);  // 15 * 0.25 - 1
  EXPECT_EQ(y[31], -1.0f);  // (15+1)%16 = 0
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], legacy_nibble(b.qs, i) * 0.25f - 1.0f) << i;
}

TEST(DequantKnown, Q5_0) {
  BlockQ5_0 b{};
  b.d = kHalfOne;
  const uint32_t qh = 0xF0F0F00Fu;  // bit i = 5th bit of element i
  std::memcpy(b.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>((j * 7 % 16) | ((j * 3 % 16) << 4));
  const auto y = dequant(DType::kQ5_0, b, 32);
  EXPECT_EQ(y[0], 0.0f);            // nibble 0 | 16 -> 16 - 16
  EXPECT_EQ(y[4], -4.0f);           // nibble 28%16=12, bit 4 clear -> 12 - 16
  EXPECT_EQ(y[31], 29.0f - 16.0f);  // high nibble of qs[15] = 45%16=13, bit 31 set -> 29
  for (int i = 0; i < 32; ++i) {
    const int q = legacy_nibble(b.qs, i) | static_cast<int>(((qh >> i) & 1) << 4);
    EXPECT_EQ(y[i], static_cast<float>(q - 16)) << i;
  }
}

TEST(DequantKnown, Q5_1) {
  BlockQ5_1 b{};
  b.d = kHalfHalf;
  b.m = kHalfTwo;
  const uint32_t qh = 0x12345678u;
  std::memcpy(b.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(255 - 13 * j);
  const auto y = dequant(DType::kQ5_1, b, 32);
  for (int i = 0; i < 32; ++i) {
    const int q = legacy_nibble(b.qs, i) | static_cast<int>(((qh >> i) & 1) << 4);
    EXPECT_EQ(y[i], q * 0.5f + 2.0f) << i;
  }
  EXPECT_EQ(y[3], 14.0f);  // qs[3] = 0xD8: nibble 8, qh bit 3 set -> q = 24
}

TEST(DequantKnown, Q8_0AndQ8_1) {
  BlockQ8_0 b{};
  b.d = kHalfEighth;
  for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<int8_t>(j * 8 - 128);
  const auto y = dequant(DType::kQ8_0, b, 32);
  EXPECT_EQ(y[0], -16.0f);
  EXPECT_EQ(y[31], 15.0f);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], (i * 8 - 128) * 0.125f) << i;

  BlockQ8_1 c{};
  c.d = kHalfEighth;
  c.s = kHalfOne;  // ignored by dequantisation
  std::memcpy(c.qs, b.qs, 32);
  EXPECT_EQ(dequant(DType::kQ8_1, c, 32), y);
}

TEST(DequantKnown, Q2_K) {
  BlockQ2_K b{};
  b.d = kHalfOne;
  b.dmin = kHalfHalf;
  for (int k = 0; k < 16; ++k) b.scales[k] = static_cast<uint8_t>(k | ((15 - k) << 4));
  for (int k = 0; k < 64; ++k) b.qs[k] = static_cast<uint8_t>(k * 37 + 11);
  const auto y = dequant(DType::kQ2_K, b, 256);
  // Element i: 2 bits at shift 2*((i%128)/32) of qs[32*(i/128) + i%32]; scale byte i/16.
  for (int i = 0; i < 256; ++i) {
    const int q = (b.qs[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32))) & 3;
    const uint8_t sc = b.scales[i / 16];
    EXPECT_EQ(y[i], 1.0f * (sc & 0xF) * q - 0.5f * (sc >> 4)) << i;
  }
  EXPECT_EQ(y[0], 0.0f * 3 - 7.5f);  // scale 0 / min 15, q = 11 & 3 = 3
}

TEST(DequantKnown, Q3_K) {
  BlockQ3_K b{};
  b.d = kHalfHalf;
  for (int k = 0; k < 32; ++k) b.hmask[k] = static_cast<uint8_t>(k * 29 + 5);
  for (int k = 0; k < 64; ++k) b.qs[k] = static_cast<uint8_t>(k * 53 + 1);
  // Desired 6-bit scales (stored +32): -32, -31, ..., then a few positives.
  int stored[16];
  for (int j = 0; j < 16; ++j) stored[j] = (j * 23 + 3) % 64;
  for (int j = 0; j < 16; ++j) {
    if (j < 8) {
      b.scales[j] |= static_cast<uint8_t>(stored[j] & 0xF);
    } else {
      b.scales[j - 8] |= static_cast<uint8_t>((stored[j] & 0xF) << 4);
    }
    b.scales[8 + j % 4] |= static_cast<uint8_t>((stored[j] >> 4) << (2 * (j / 4)));
  }
  const auto y = dequant(DType::kQ3_K, b, 256);
  for (int i = 0; i < 256; ++i) {
    const int low = (b.qs[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32))) & 3;
    const bool high = (b.hmask[i % 32] >> (i / 32)) & 1;
    const int q = low - (high ? 0 : 4);
    EXPECT_EQ(y[i], 0.5f * static_cast<float>(stored[i / 16] - 32) * static_cast<float>(q)) << i;
  }
}

// Packs 6-bit scales/mins of 8 sub-blocks into the 12 Q4_K/Q5_K bytes, from the layout
// description: bytes 0-3 scale 0-3, bytes 4-7 min 0-3, bytes 8-11 low nibbles of scale/min
// 4-7, top two bits of scale/min 4-7 in bits 6-7 of bytes 0-3 / 4-7.
void pack_scales(const int sc[8], const int mn[8], uint8_t out[12]) {
  std::memset(out, 0, 12);
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    out[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
    out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
}

constexpr int kScales[8] = {1, 63, 17, 33, 5, 48, 63, 20};
constexpr int kMins[8] = {0, 7, 63, 31, 62, 1, 16, 45};

TEST(DequantKnown, Q4_K) {
  BlockQ4_K b{};
  b.d = kHalfQuarter;
  b.dmin = kHalfEighth;
  pack_scales(kScales, kMins, b.scales);
  for (int k = 0; k < 128; ++k) b.qs[k] = static_cast<uint8_t>(k * 71 + 9);
  const auto y = dequant(DType::kQ4_K, b, 256);
  // Element i: sub-block j = i/32 in byte qs[32*(i/64) + i%32], low nibble for even j.
  for (int i = 0; i < 256; ++i) {
    const int j = i / 32;
    const uint8_t byte = b.qs[32 * (i / 64) + i % 32];
    const int q = (j % 2 == 0) ? (byte & 0xF) : (byte >> 4);
    const float want = (0.25f * kScales[j]) * static_cast<float>(q) - 0.125f * kMins[j];
    EXPECT_EQ(y[i], want) << i;
  }
  EXPECT_EQ(y[0], 0.25f * 9);  // scale 1, min 0, q = 9
}

TEST(DequantKnown, Q5_K) {
  BlockQ5_K b{};
  b.d = kHalfHalf;
  b.dmin = kHalfQuarter;
  pack_scales(kScales, kMins, b.scales);
  for (int k = 0; k < 128; ++k) b.qs[k] = static_cast<uint8_t>(k * 19 + 100);
  for (int k = 0; k < 32; ++k) b.qh[k] = static_cast<uint8_t>(k * 45 + 77);
  const auto y = dequant(DType::kQ5_K, b, 256);
  // As Q4_K plus the 5th bit: bit j of qh[i%32].
  for (int i = 0; i < 256; ++i) {
    const int j = i / 32;
    const uint8_t byte = b.qs[32 * (i / 64) + i % 32];
    const int q = ((j % 2 == 0) ? (byte & 0xF) : (byte >> 4)) | (((b.qh[i % 32] >> j) & 1) << 4);
    const float want = (0.5f * kScales[j]) * static_cast<float>(q) - 0.25f * kMins[j];
    EXPECT_EQ(y[i], want) << i;
  }
}

TEST(DequantKnown, Q6_K) {
  BlockQ6_K b{};
  b.d = kHalfEighth;
  for (int k = 0; k < 128; ++k) b.ql[k] = static_cast<uint8_t>(k * 13 + 7);
  for (int k = 0; k < 64; ++k) b.qh[k] = static_cast<uint8_t>(k * 89 + 3);
  for (int k = 0; k < 16; ++k) b.scales[k] = static_cast<int8_t>(k * 17 - 128);
  const auto y = dequant(DType::kQ6_K, b, 256);
  // Element i: half h = i/128, quarter k = (i%128)/32, l = i%32. Low 4 bits in
  // ql[64h + l + 32*(k%2)] (low nibble for k < 2), high 2 bits at 2k of qh[32h + l]; scale i/16.
  for (int i = 0; i < 256; ++i) {
    const int h = i / 128;
    const int k = (i % 128) / 32;
    const int l = i % 32;
    const uint8_t lo_byte = b.ql[64 * h + l + 32 * (k % 2)];
    const int lo = k < 2 ? (lo_byte & 0xF) : (lo_byte >> 4);
    const int hi = (b.qh[32 * h + l] >> (2 * k)) & 3;
    const int q = (lo | (hi << 4)) - 32;
    EXPECT_EQ(y[i], (0.125f * b.scales[i / 16]) * static_cast<float>(q)) << i;
  }
}

TEST(DequantKnown, Q8_K) {
  BlockQ8_K b{};
  b.d = 0.75f;
  for (int k = 0; k < 256; ++k) b.qs[k] = static_cast<int8_t>(k - 128);
  const auto y = dequant(DType::kQ8_K, b, 256);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(y[i], 0.75f * static_cast<float>(i - 128)) << i;
}

TEST(DequantKnown, PlainTypes) {
  const float f32[3] = {1.5f, -0.0f, 3e-40f};
  std::vector<float> y(3);
  dequantize_row(DType::kF32, f32, y.data(), 3);
  EXPECT_EQ(std::memcmp(y.data(), f32, sizeof(f32)), 0);
  const fp16_t f16[3] = {0x3C00, 0xC500, 0x0001};
  dequantize_row(DType::kF16, f16, y.data(), 3);
  EXPECT_EQ(y, (std::vector<float>{1.0f, -5.0f, 0x1p-24f}));
  const bf16_t b16[3] = {0x3F80, 0xC2F7, 0x0000};
  dequantize_row(DType::kBF16, b16, y.data(), 3);
  EXPECT_EQ(y, (std::vector<float>{1.0f, -123.5f, 0.0f}));
}

TEST(DequantKnown, UnsupportedTypesNameThemselves) {
  uint8_t buf[512] = {};
  float out[256];
  for (DType t :
       {DType::kIQ2_XXS, DType::kIQ4_NL, DType::kTQ1_0, DType::kMXFP4, DType::kI8, DType::kF64}) {
    try {
      dequantize_row(t, buf, out, dtype_info(t).block_size);
      FAIL() << "accepted " << dtype_name(t);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
      const std::string msg = e.what();
      EXPECT_NE(msg.find(std::string("tensor type ") + dtype_name(t) + " is not supported"),
                std::string::npos)
          << msg;
      EXPECT_NE(msg.find("Q4_K"), std::string::npos) << msg;  // lists what is supported
    }
  }
  try {
    require_dequantizable(DType::kIQ2_XXS);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "tensor type IQ2_XXS is not supported (supported: F32, F16, Q4_0, Q4_1, Q5_0, "
              "Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, BF16)");
  }
}

TEST(DequantKnown, RowLengthMustBeWholeBlocks) {
  uint8_t buf[1024] = {};
  float out[512];
  try {
    dequantize_row(DType::kQ4_K, buf, out, 100);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("Q4_K"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("256"), std::string::npos);
  }
  EXPECT_THROW(dequantize_row(DType::kQ8_0, buf, out, 33), Error);
  EXPECT_THROW(dequantize_row(DType::kQ8_0, buf, out, -32), Error);
  EXPECT_NO_THROW(dequantize_row(DType::kQ8_0, buf, out, 0));
}

}  // namespace
}  // namespace dsinfer::tensor
