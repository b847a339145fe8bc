// (De)quantisation of the legacy 32-element block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1.
// Formulas and rounding follow the GGUF reference definitions (ggml's block formats).
#include <cmath>
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/quant_math.h"
#include "tensor/quant_rows.h"

namespace dsinfer::tensor {
namespace {

using detail::round_away_clamped;
using detail::truncate_clamped;

// Element j of a 32-block lives in byte j % 16 of qs, low nibble for j < 16, high nibble after.
constexpr int kHalf = kQK / 2;

struct AbsMax {
  float amax = 0.f;        // largest |x|
  float signed_max = 0.f;  // that element, with its sign (first one on ties)
};

AbsMax find_abs_max(const float* x) {
  AbsMax r;
  for (int j = 0; j < kQK; ++j) {
    const float a = std::fabs(x[j]);
    if (r.amax < a) {
      r.amax = a;
      r.signed_max = x[j];
    }
  }
  return r;
}

void find_min_max(const float* x, float* lo, float* hi) {
  float mn = x[0];
  float mx = x[0];
  for (int j = 1; j < kQK; ++j) {
    if (x[j] < mn) mn = x[j];
    if (x[j] > mx) mx = x[j];
  }
  *lo = mn;
  *hi = mx;
}

uint32_t load_qh(const uint8_t qh[4]) {
  uint32_t v;
  std::memcpy(&v, qh, sizeof(v));
  return v;
}

}  // namespace

void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, y += kQK) {
    const float d = fp16_to_float(x[b].d);
    for (int j = 0; j < kHalf; ++j) {
      y[j] = static_cast<float>((x[b].qs[j] & 0xF) - 8) * d;
      y[j + kHalf] = static_cast<float>((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_row_q4_1(const BlockQ4_1* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, y += kQK) {
    const float d = fp16_to_float(x[b].d);
    const float m = fp16_to_float(x[b].m);
    for (int j = 0; j < kHalf; ++j) {
      y[j] = static_cast<float>(x[b].qs[j] & 0xF) * d + m;
      y[j + kHalf] = static_cast<float>(x[b].qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_row_q5_0(const BlockQ5_0* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, y += kQK) {
    const float d = fp16_to_float(x[b].d);
    const uint32_t qh = load_qh(x[b].qh);
    for (int j = 0; j < kHalf; ++j) {
      const int hi0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int hi1 = static_cast<int>((qh >> (j + kHalf)) & 1u) << 4;
      y[j] = static_cast<float>(((x[b].qs[j] & 0xF) | hi0) - 16) * d;
      y[j + kHalf] = static_cast<float>(((x[b].qs[j] >> 4) | hi1) - 16) * d;
    }
  }
}

void dequantize_row_q5_1(const BlockQ5_1* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, y += kQK) {
    const float d = fp16_to_float(x[b].d);
    const float m = fp16_to_float(x[b].m);
    const uint32_t qh = load_qh(x[b].qh);
    for (int j = 0; j < kHalf; ++j) {
      const int hi0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int hi1 = static_cast<int>((qh >> (j + kHalf)) & 1u) << 4;
      y[j] = static_cast<float>((x[b].qs[j] & 0xF) | hi0) * d + m;
      y[j + kHalf] = static_cast<float>((x[b].qs[j] >> 4) | hi1) * d + m;
    }
  }
}

void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, y += kQK) {
    const float d = fp16_to_float(x[b].d);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(x[b].qs[j]) * d;
  }
}

void dequantize_row_q8_1(const BlockQ8_1* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, y += kQK) {
    const float d = fp16_to_float(x[b].d);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(x[b].qs[j]) * d;
  }
}

void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    const AbsMax m = find_abs_max(x);
    // The signed extreme maps to -8 exactly; the other side clamps at +7.
    const float d = m.signed_max / -8;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    y[b].d = float_to_fp16(d);
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = truncate_clamped(x[j] * id + 8.5f, 0, 15);
      const int q1 = truncate_clamped(x[j + kHalf] * id + 8.5f, 0, 15);
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q4_1(const float* x, BlockQ4_1* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float lo, hi;
    find_min_max(x, &lo, &hi);
    const float d = (hi - lo) / 15;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    y[b].d = float_to_fp16(d);
    y[b].m = float_to_fp16(lo);
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = truncate_clamped((x[j] - lo) * id + 0.5f, 0, 15);
      const int q1 = truncate_clamped((x[j + kHalf] - lo) * id + 0.5f, 0, 15);
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q5_0(const float* x, BlockQ5_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    const AbsMax m = find_abs_max(x);
    const float d = m.signed_max / -16;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    y[b].d = float_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = truncate_clamped(x[j] * id + 16.5f, 0, 31);
      const int q1 = truncate_clamped(x[j + kHalf] * id + 16.5f, 0, 31);
      y[b].qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + kHalf);
    }
    std::memcpy(y[b].qh, &qh, sizeof(qh));
  }
}

void quantize_row_q5_1(const float* x, BlockQ5_1* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float lo, hi;
    find_min_max(x, &lo, &hi);
    const float d = (hi - lo) / 31;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    y[b].d = float_to_fp16(d);
    y[b].m = float_to_fp16(lo);
    uint32_t qh = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = truncate_clamped((x[j] - lo) * id + 0.5f, 0, 31);
      const int q1 = truncate_clamped((x[j + kHalf] - lo) * id + 0.5f, 0, 31);
      y[b].qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + kHalf);
    }
    std::memcpy(y[b].qh, &qh, sizeof(qh));
  }
}

void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float amax = 0.f;
    for (int j = 0; j < kQK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    y[b].d = float_to_fp16(d);
    for (int j = 0; j < kQK; ++j) {
      y[b].qs[j] = static_cast<int8_t>(round_away_clamped(x[j] * id, -128, 127));
    }
  }
}

}  // namespace dsinfer::tensor
