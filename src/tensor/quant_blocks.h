// Byte layouts of the quantised blocks GGUF stores (little-endian, packed). Kernels read these
// directly from the mapped file; (de)quantisation in tensor/quantize.h.
#pragma once

#include <cstdint>

namespace dsinfer::tensor {

using fp16_t = uint16_t;  // IEEE half, raw bits
using bf16_t = uint16_t;  // bfloat16, raw bits

constexpr int kQK = 32;    // elements per block of the legacy types
constexpr int kQKK = 256;  // elements per super-block of the K types
constexpr int kKScaleBytes = 12;

#pragma pack(push, 1)
struct BlockQ4_0 {  // x = d * (q - 8), q in 0..15
  fp16_t d;
  uint8_t qs[kQK / 2];  // element j in low nibble of qs[j], element j+16 in the high nibble
};
struct BlockQ4_1 {  // x = d * q + m
  fp16_t d;
  fp16_t m;
  uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {  // x = d * (q - 16), q = nibble | (bit of qh) << 4
  fp16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
  fp16_t d;
  fp16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {  // x = d * q
  fp16_t d;
  int8_t qs[kQK];
};
struct BlockQ8_1 {  // activations: d and s = d * sum(qs)
  fp16_t d;
  fp16_t s;
  int8_t qs[kQK];
};
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];  // 4-bit scale | 4-bit min per 16 elements
  uint8_t qs[kQKK / 4];
  fp16_t d;
  fp16_t dmin;
};
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[12];
  fp16_t d;
};
struct BlockQ4_K {  // 8 sub-blocks of 32: x = d*sc*q - dmin*m, 6-bit sc/m packed in scales
  fp16_t d;
  fp16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {
  fp16_t d;
  fp16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {  // 16 sub-blocks of 16: x = d * scale * (q - 32)
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  fp16_t d;
};
struct BlockQ8_K {  // activations for K-type dot products
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};
#pragma pack(pop)

// The 256 six-bit values (0..63, before the -32 offset) of a Q6_K block <-> its ql/qh bytes.
// Half h (elements 128h..128h+127): ql[64h + l] holds elements l (low nibble) and l + 64 (high),
// ql[64h + 32 + l] elements l + 32 and l + 96, qh[32h + l] the top 2 bits of l, l + 32, l + 64,
// l + 96 (bits 0-1, 2-3, 4-5, 6-7); l < 32, offsets within the half.
inline void q6_k_values(const BlockQ6_K& b, uint8_t* v) {
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = b.ql + 64 * h;
    const uint8_t* qh = b.qh + 32 * h;
    uint8_t* out = v + 128 * h;
    for (int l = 0; l < 32; ++l) {
      out[l] = static_cast<uint8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
      out[l + 32] = static_cast<uint8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
      out[l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
      out[l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
    }
  }
}

inline void q6_k_set_values(const uint8_t* v, BlockQ6_K& b) {
  for (int h = 0; h < 2; ++h) {
    uint8_t* ql = b.ql + 64 * h;
    uint8_t* qh = b.qh + 32 * h;
    const uint8_t* in = v + 128 * h;
    for (int l = 0; l < 32; ++l) {
      ql[l] = static_cast<uint8_t>((in[l] & 0xF) | ((in[l + 64] & 0xF) << 4));
      ql[l + 32] = static_cast<uint8_t>((in[l + 32] & 0xF) | ((in[l + 96] & 0xF) << 4));
      qh[l] = static_cast<uint8_t>((in[l] >> 4) | ((in[l + 32] >> 4) << 2) |
                                   ((in[l + 64] >> 4) << 4) | ((in[l + 96] >> 4) << 6));
    }
  }
}

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

}  // namespace dsinfer::tensor
