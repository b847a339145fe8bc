// The weight buffer (binding 0) and dq4(row_byte_offset, k): the float values of elements
// k..k+3 (k a multiple of 4) of a row stored as WTYPE_<type>, with the GGUF block layouts of
// src/tensor/quant_blocks.h and the products of tensor/quantize.cpp's dequantize_row.
#if defined(WTYPE_F32)
layout(binding = 0) readonly buffer W { float wf[]; };
vec4 dq4(uint rb, uint k) {
  const uint i = rb / 4 + k;
  return vec4(wf[i], wf[i + 1], wf[i + 2], wf[i + 3]);
}
#elif defined(WTYPE_F16)
layout(binding = 0) readonly buffer W { float16_t wh[]; };
vec4 dq4(uint rb, uint k) {
  const uint i = rb / 2 + k;
  return vec4(wh[i], wh[i + 1], wh[i + 2], wh[i + 3]);
}
#elif defined(WTYPE_BF16)
layout(binding = 0) readonly buffer W { uint16_t wh[]; };
float bf(uint i) { return uintBitsToFloat(uint(wh[i]) << 16); }
vec4 dq4(uint rb, uint k) {
  const uint i = rb / 2 + k;
  return vec4(bf(i), bf(i + 1), bf(i + 2), bf(i + 3));
}
#else
// Quantised blocks: every block size and hence every block and row start is even, and the
// 4-element groups dq4 reads start at even offsets, so the buffer is read in 16-bit words (two
// loads per 4 quants instead of four byte loads).
layout(binding = 0) readonly buffer W { uint16_t wh[]; };
uint u8(uint o) { return (uint(wh[o >> 1]) >> ((o & 1) << 3)) & 0xFF; }
float f16_at(uint o) { return unpackHalf2x16(uint(wh[o >> 1])).x; }  // o even
uint u32_at(uint o) { return uint(wh[o >> 1]) | (uint(wh[(o >> 1) + 1]) << 16); }  // o even
// Byte t of a word, sign-extended.
int sbyte_of(uint w, uint t) { return bitfieldExtract(int(w), int(8 * t), 8); }

#if defined(WTYPE_Q8_0)
// 34 bytes: d (f16), 32 x int8.
vec4 dq4(uint rb, uint k) {
  const uint o = rb + (k / 32) * 34;
  const float d = f16_at(o);
  const uint q = u32_at(o + 2 + k % 32);
  return vec4(sbyte_of(q, 0), sbyte_of(q, 1), sbyte_of(q, 2), sbyte_of(q, 3)) * d;
}
#elif defined(WTYPE_Q4_0) || defined(WTYPE_Q4_1)
// Q4_0, 18 bytes: d, 16 bytes of nibbles (element j low nibble of qs[j], j+16 high), x = (q-8)d.
// Q4_1, 20 bytes: d, m, nibbles, x = q d + m.
#if defined(WTYPE_Q4_0)
const uint kBlock = 18;
const uint kQs = 2;
#else
const uint kBlock = 20;
const uint kQs = 4;
#endif
vec4 dq4(uint rb, uint k) {
  const uint o = rb + (k / 32) * kBlock;
  const uint j = k % 32;
  const uint q = u32_at(o + kQs + (j & 15)) >> (j < 16 ? 0 : 4);
  const vec4 v = vec4(q & 15, (q >> 8) & 15, (q >> 16) & 15, (q >> 24) & 15);
#if defined(WTYPE_Q4_0)
  return (v - 8.0) * f16_at(o);
#else
  return v * f16_at(o) + f16_at(o + 2);
#endif
}
#elif defined(WTYPE_Q5_0) || defined(WTYPE_Q5_1)
// Q5_0, 22 bytes: d, qh (32 high bits), nibbles; x = (q-16)d. Q5_1, 24 bytes: d, m, qh,
// nibbles; x = q d + m.
#if defined(WTYPE_Q5_0)
const uint kBlock = 22;
const uint kQh = 2;
#else
const uint kBlock = 24;
const uint kQh = 4;
#endif
vec4 dq4(uint rb, uint k) {
  const uint o = rb + (k / 32) * kBlock;
  const uint j = k % 32;
  const uint qh = u32_at(o + kQh);
  const uint q = u32_at(o + kQh + 4 + (j & 15)) >> (j < 16 ? 0 : 4);
  vec4 v;
  [[unroll]] for (uint t = 0; t < 4; ++t) {
    v[t] = float(((q >> (8 * t)) & 15) | (((qh >> (j + t)) & 1) << 4));
  }
#if defined(WTYPE_Q5_0)
  return (v - 16.0) * f16_at(o);
#else
  return v * f16_at(o) + f16_at(o + 2);
#endif
}
#elif defined(WTYPE_Q4_K) || defined(WTYPE_Q5_K)
// Q4_K, 144 bytes: d, dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles. Q5_K, 176
// bytes: d, dmin, scales, qh[32], qs[128]. Sub-block s (32 elements) of chunk c = s/2 reads the
// low (s even) or high (s odd) nibbles of qs[32c..32c+31]; Q5_K adds bit s of qh[l] as 16.
// x = (d * sc) * q - dmin * m.
#if defined(WTYPE_Q4_K)
const uint kBlock = 144;
const uint kQs = 16;
#else
const uint kBlock = 176;
const uint kQs = 48;
#endif
vec4 dq4(uint rb, uint k) {
  const uint o = rb + (k / 256) * kBlock;
  const uint kk = k % 256;
  const uint s = kk / 32;
  const uint l = kk % 32;
  uint sc;
  uint m;
  if (s < 4) {
    sc = u8(o + 4 + s) & 63;
    m = u8(o + 8 + s) & 63;
  } else {
    sc = (u8(o + 8 + s) & 15) | ((u8(o + s) >> 6) << 4);
    m = (u8(o + 8 + s) >> 4) | ((u8(o + 4 + s) >> 6) << 4);
  }
  const float d = f16_at(o) * float(sc);
  const float mn = f16_at(o + 2) * float(m);
  const uint q = u32_at(o + kQs + 32 * (s / 2) + l) >> ((s & 1) * 4);
#if defined(WTYPE_Q5_K)
  const uint qh = u32_at(o + 16 + l) >> s;
#endif
  vec4 v;
  [[unroll]] for (uint t = 0; t < 4; ++t) {
    uint n = (q >> (8 * t)) & 15;
#if defined(WTYPE_Q5_K)
    n |= ((qh >> (8 * t)) & 1) << 4;
#endif
    v[t] = d * float(n) - mn;
  }
  return v;
}
#elif defined(WTYPE_Q6_K)
// 210 bytes: ql[128], qh[64], int8 scales[16], d. Half h of 128 elements, quarter g of 32:
// low/high nibble of ql[64h + l (+32 for g odd)], 2 bits of qh[32h + l] at 2g; x = d sc (q - 32).
vec4 dq4(uint rb, uint k) {
  const uint o = rb + (k / 256) * 210;
  const uint kk = k % 256;
  const uint h = kk / 128;
  const uint g = (kk % 128) / 32;
  const uint l = kk % 32;
  const int sc = bitfieldExtract(int(u8(o + 192 + 8 * h + l / 16 + 2 * g)), 0, 8);
  const float d = f16_at(o + 208) * float(sc);
  const uint ql = u32_at(o + 64 * h + l + (g & 1) * 32) >> ((g / 2) * 4);
  const uint qh = u32_at(o + 128 + 32 * h + l) >> (2 * g);
  vec4 v;
  [[unroll]] for (uint t = 0; t < 4; ++t) {
    const int q = int(((ql >> (8 * t)) & 15) | (((qh >> (8 * t)) & 3) << 4)) - 32;
    v[t] = d * float(q);
  }
  return v;
}
#else
#error "matmul shader compiled without a WTYPE_<type> define"
#endif
#endif
