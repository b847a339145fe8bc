// (De)quantisation of the K types (256-element super-blocks): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
// Dequantisation is the GGUF reference definition; quantisation follows the reference's scale
// searches (so that model files match the reference's byte for byte in all but rare ties).
#include <cmath>
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/quant_k_search.h"
#include "tensor/quant_math.h"
#include "tensor/quant_rows.h"

namespace dsinfer::tensor {
namespace {

using detail::clamp_int;
using detail::fit_scale_min;
using detail::kGroupMaxEps;
using detail::nearest_int;

// NOTE: the reference's make_q3_quants with do_rmse: symmetric grid at iscale = -nmax/max, then
// up to 5 passes of coordinate descent moving single L to the value that most improves
// (sum w x l)^2 / sum w l^2 with w = x^2. L returned as l + nmax.
float fit_q3_scale(int n, int nmax, const float* x, int8_t* L) {
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::memset(L, 0, static_cast<size_t>(n));
    return 0.f;
  }
  const float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * static_cast<float>(L[i]);
      if (slx > 0) {
        float sl2 = suml2 - w * static_cast<float>(L[i]) * static_cast<float>(L[i]);
        const int new_l = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (new_l != L[i]) {
          slx += w * x[i] * static_cast<float>(new_l);
          sl2 += w * static_cast<float>(new_l) * static_cast<float>(new_l);
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<int8_t>(new_l);
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Packs scale/min (6 bits each) of sub-block j into the 12-byte Q4_K/Q5_K layout; the inverse
// of unpack_k_scale_min. `packed` must start zeroed.
void pack_k_scale_min(uint8_t* packed, int j, uint8_t ls, uint8_t lm) {
  if (j < 4) {
    packed[j] = ls;
    packed[j + 4] = lm;
  } else {
    packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
    packed[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
    packed[j] |= static_cast<uint8_t>((lm >> 4) << 6);
  }
}

// Shared by Q4_K and Q5_K: fits 8 sub-blocks of 32, quantises their scales and mins to 6 bits
// against the super-block maxima, then re-derives every L from the stored (rounded) values.
void quantize_k_super_block(const float* x, int nmax, float rmin, int nstep, fp16_t* d_out,
                            fp16_t* dmin_out, uint8_t* packed, uint8_t* L) {
  float scales[8];
  float mins[8];
  float weights[kQKK];
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[32 * j + l] = av_x + std::fabs(xs[l]);
  }
  detail::fit_scale_min_8x32(x, weights, nmax, rmin, 0.1f, nstep, L, scales, mins);
  float max_scale = 0;
  float max_min = 0;
  for (int j = 0; j < 8; ++j) {
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  std::memset(packed, 0, kKScaleBytes);
  for (int j = 0; j < 8; ++j) {
    // A conversion to uint8_t wraps exactly as the reference's does, then clamps at 63.
    uint8_t ls = static_cast<uint8_t>(nearest_int(inv_scale * scales[j]));
    uint8_t lm = static_cast<uint8_t>(nearest_int(inv_min * mins[j]));
    if (ls > 63) ls = 63;
    if (lm > 63) lm = 63;
    pack_k_scale_min(packed, j, ls, lm);
  }
  *d_out = float_to_fp16(max_scale / 63.f);
  *dmin_out = float_to_fp16(max_min / 63.f);
  const float d_all = fp16_to_float(*d_out);
  const float m_all = fp16_to_float(*dmin_out);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    unpack_k_scale_min(packed, j, &sc, &m);
    const float d = d_all * static_cast<float>(sc);
    if (d == 0.f) continue;
    const float dm = m_all * static_cast<float>(m);
    for (int i = 0; i < 32; ++i) {
      L[32 * j + i] =
          static_cast<uint8_t>(clamp_int(nearest_int((x[32 * j + i] + dm) / d), 0, nmax));
    }
  }
}

}  // namespace

void unpack_q3_k_scales(const uint8_t packed[12], int8_t scales[16]) {
  // Low 4 bits: bytes 0-7 (low nibbles for 0-7, high nibbles for 8-15); high 2 bits: bytes 8-11,
  // scale j in bits 2*(j/4) of byte 8 + j%4.
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? (packed[j] & 0xF) : (packed[j - 8] >> 4);
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    scales[j] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

void dequantize_row_q2_k(const BlockQ2_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float d = fp16_to_float(x[b].d);
    const float dmin = fp16_to_float(x[b].dmin);
    // Element 128*h + 32*s + l: 2 bits at shift 2*s of qs[32*h + l]; scale index 8*h + 2*s + l/16.
    for (int h = 0; h < 2; ++h) {
      const uint8_t* q = x[b].qs + 32 * h;
      for (int s = 0; s < 4; ++s) {
        for (int half = 0; half < 2; ++half) {
          const uint8_t sc = x[b].scales[8 * h + 2 * s + half];
          const float dl = d * static_cast<float>(sc & 0xF);
          const float ml = dmin * static_cast<float>(sc >> 4);
          for (int l = 0; l < 16; ++l) {
            *y++ = dl * static_cast<float>((q[16 * half + l] >> (2 * s)) & 3) - ml;
          }
        }
      }
    }
  }
}

void dequantize_row_q3_k(const BlockQ3_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float d_all = fp16_to_float(x[b].d);
    int8_t scales[16];
    unpack_q3_k_scales(x[b].scales, scales);
    // Element 128*h + 32*s + l: low 2 bits as in Q2_K; high bit is bit (4*h + s) of hmask[l]
    // (set = +0, clear = -4).
    for (int h = 0; h < 2; ++h) {
      const uint8_t* q = x[b].qs + 32 * h;
      for (int s = 0; s < 4; ++s) {
        const uint8_t mask = static_cast<uint8_t>(1u << (4 * h + s));
        for (int half = 0; half < 2; ++half) {
          const float dl = d_all * static_cast<float>(scales[8 * h + 2 * s + half]);
          for (int l = 16 * half; l < 16 * half + 16; ++l) {
            const int low = (q[l] >> (2 * s)) & 3;
            const int v = low - ((x[b].hmask[l] & mask) ? 0 : 4);
            *y++ = dl * static_cast<float>(v);
          }
        }
      }
    }
  }
}

void dequantize_row_q4_k(const BlockQ4_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float d = fp16_to_float(x[b].d);
    const float dmin = fp16_to_float(x[b].dmin);
    const uint8_t* q = x[b].qs;
    for (int c = 0; c < 4; ++c, q += 32) {  // 64 elements: low nibbles, then high nibbles
      uint8_t sc, m;
      unpack_k_scale_min(x[b].scales, 2 * c, &sc, &m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = dmin * static_cast<float>(m);
      unpack_k_scale_min(x[b].scales, 2 * c + 1, &sc, &m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void dequantize_row_q5_k(const BlockQ5_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float d = fp16_to_float(x[b].d);
    const float dmin = fp16_to_float(x[b].dmin);
    const uint8_t* ql = x[b].qs;
    const uint8_t* qh = x[b].qh;
    for (int c = 0; c < 4; ++c, ql += 32) {  // high bit of sub-block 2c+k is bit 2c+k of qh[l]
      uint8_t sc, m;
      unpack_k_scale_min(x[b].scales, 2 * c, &sc, &m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = dmin * static_cast<float>(m);
      unpack_k_scale_min(x[b].scales, 2 * c + 1, &sc, &m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = dmin * static_cast<float>(m);
      const uint8_t u1 = static_cast<uint8_t>(1u << (2 * c));
      const uint8_t u2 = static_cast<uint8_t>(2u << (2 * c));
      for (int l = 0; l < 32; ++l) {
        *y++ = d1 * static_cast<float>((ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        *y++ = d2 * static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
      }
    }
  }
}

void dequantize_row_q6_k(const BlockQ6_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const float d = fp16_to_float(x[b].d);
    const uint8_t* ql = x[b].ql;
    const uint8_t* qh = x[b].qh;
    const int8_t* sc = x[b].scales;
    for (int h = 0; h < 2; ++h, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

void dequantize_row_q8_k(const BlockQ8_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, y += kQKK) {
    for (int j = 0; j < kQKK; ++j) y[j] = x[b].d * static_cast<float>(x[b].qs[j]);
  }
}

void quantize_row_q2_k(const float* x, BlockQ2_K* y, int64_t n) {
  constexpr float kQ4Scale = 15.f;
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    uint8_t L[kQKK];
    float weights[16];
    float mins[16];
    float scales[16];
    float max_scale = 0;
    float max_min = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] =
          fit_scale_min(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    if (max_scale > 0) {
      const float iscale = kQ4Scale / max_scale;
      for (int j = 0; j < 16; ++j) {
        y[b].scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      }
      y[b].d = float_to_fp16(max_scale / kQ4Scale);
    } else {
      std::memset(y[b].scales, 0, sizeof(y[b].scales));
      y[b].d = float_to_fp16(0.f);
    }
    if (max_min > 0) {
      const float iscale = kQ4Scale / max_min;
      for (int j = 0; j < 16; ++j) {
        y[b].scales[j] |= static_cast<uint8_t>(nearest_int(iscale * mins[j]) << 4);
      }
      y[b].dmin = float_to_fp16(max_min / kQ4Scale);
    } else {
      y[b].dmin = float_to_fp16(0.f);
    }
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_float(y[b].d) * static_cast<float>(y[b].scales[j] & 0xF);
      if (d == 0.f) continue;
      const float dm = fp16_to_float(y[b].dmin) * static_cast<float>(y[b].scales[j] >> 4);
      for (int i = 0; i < 16; ++i) {
        L[16 * j + i] =
            static_cast<uint8_t>(clamp_int(nearest_int((x[16 * j + i] + dm) / d), 0, 3));
      }
    }
    for (int h = 0; h < 2; ++h) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t* Lh = L + 128 * h + l;
        y[b].qs[32 * h + l] =
            static_cast<uint8_t>(Lh[0] | (Lh[32] << 2) | (Lh[64] << 4) | (Lh[96] << 6));
      }
    }
  }
}

void quantize_row_q3_k(const float* x, BlockQ3_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    int8_t L[kQKK];
    float scales[16];
    float max_scale = 0;
    float amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_q3_scale(16, 4, x + 16 * j, L + 16 * j);
      const float a = std::fabs(scales[j]);
      if (a > amax) {
        amax = a;
        max_scale = scales[j];
      }
    }
    std::memset(y[b].scales, 0, sizeof(y[b].scales));
    if (max_scale != 0.f) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        const int l = clamp_int(nearest_int(iscale * scales[j]), -32, 31) + 32;
        if (j < 8) {
          y[b].scales[j] = static_cast<uint8_t>(l & 0xF);
        } else {
          y[b].scales[j - 8] |= static_cast<uint8_t>((l & 0xF) << 4);
        }
        y[b].scales[j % 4 + 8] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
      }
      y[b].d = float_to_fp16(1 / iscale);
    } else {
      y[b].d = float_to_fp16(0.f);
    }
    int8_t sc[16];
    unpack_q3_k_scales(y[b].scales, sc);
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_float(y[b].d) * static_cast<float>(sc[j]);
      if (d == 0.f) continue;
      for (int i = 0; i < 16; ++i) {
        L[16 * j + i] = static_cast<int8_t>(clamp_int(nearest_int(x[16 * j + i] / d), -4, 3) + 4);
      }
    }
    // High bit of element j goes to bit j/32 of hmask[j % 32]; the low 2 bits to qs as in Q2_K.
    std::memset(y[b].hmask, 0, sizeof(y[b].hmask));
    for (int j = 0; j < kQKK; ++j) {
      if (L[j] > 3) {
        y[b].hmask[j % 32] |= static_cast<uint8_t>(1u << (j / 32));
        L[j] = static_cast<int8_t>(L[j] - 4);
      }
    }
    for (int h = 0; h < 2; ++h) {
      for (int l = 0; l < 32; ++l) {
        const int8_t* Lh = L + 128 * h + l;
        y[b].qs[32 * h + l] =
            static_cast<uint8_t>(Lh[0] | (Lh[32] << 2) | (Lh[64] << 4) | (Lh[96] << 6));
      }
    }
  }
}

void quantize_row_q4_k(const float* x, BlockQ4_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    uint8_t L[kQKK];
    quantize_k_super_block(x, 15, -1.f, 20, &y[b].d, &y[b].dmin, y[b].scales, L);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        y[b].qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + l + 32] << 4));
      }
    }
  }
}

void quantize_row_q5_k(const float* x, BlockQ5_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    uint8_t L[kQKK];
    quantize_k_super_block(x, 31, -0.5f, 15, &y[b].d, &y[b].dmin, y[b].scales, L);
    std::memset(y[b].qh, 0, sizeof(y[b].qh));
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[64 * c + l];
        int l2 = L[64 * c + l + 32];
        if (l1 > 15) {
          l1 -= 16;
          y[b].qh[l] |= static_cast<uint8_t>(1u << (2 * c));
        }
        if (l2 > 15) {
          l2 -= 16;
          y[b].qh[l] |= static_cast<uint8_t>(2u << (2 * c));
        }
        y[b].qs[32 * c + l] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
    }
  }
}

void quantize_row_q6_k(const float* x, BlockQ6_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    int8_t L[kQKK];
    float scales[16];
    float max_scale = 0;
    float max_abs_scale = 0;
    detail::fit_symmetric_16x16(x, 32, L, scales);
    for (int j = 0; j < 16; ++j) {
      const float a = std::fabs(scales[j]);
      if (a > max_abs_scale) {
        max_abs_scale = a;
        max_scale = scales[j];
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&y[b], 0, sizeof(y[b]));
      continue;
    }
    const float iscale = -128.f / max_scale;
    y[b].d = float_to_fp16(1 / iscale);
    for (int j = 0; j < 16; ++j) {
      y[b].scales[j] = static_cast<int8_t>(clamp_int(nearest_int(iscale * scales[j]), -128, 127));
    }
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_float(y[b].d) * static_cast<float>(y[b].scales[j]);
      if (d == 0.f) continue;
      for (int i = 0; i < 16; ++i) {
        L[16 * j + i] =
            static_cast<int8_t>(clamp_int(nearest_int(x[16 * j + i] / d), -32, 31) + 32);
      }
    }
    q6_k_set_values(reinterpret_cast<const uint8_t*>(L), y[b]);
  }
}

}  // namespace dsinfer::tensor
