// Scalar preparation of matmul activations: rounding to fp16/bf16 and on-the-fly quantisation to
// 8-bit blocks (Q8_0 / Q8_1 / Q8_K numerics of the reference implementation's x86 build).
#include <cmath>
#include <cstring>

#include "kernels/matmul_internal.h"

namespace dsinfer::kernels::matmul_detail {

namespace {

// Q8_0 / Q8_1 block of 32: d = amax/127, q = round_half_even(x * 127/amax).
void quantize_row_q8(const ActBatch& a, const float* x, int64_t r) {
  const int64_t nb = a.n_blocks;
  int8_t* q = a.q + r * a.n_in;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int32_t sum = 0;
    for (int i = 0; i < 32; ++i) {
      const int v = static_cast<int>(std::nearbyint(xb[i] * id));
      q[b * 32 + i] = static_cast<int8_t>(v);
      sum += v;
    }
    const float d_stored = tensor::round_to_fp16(d);
    const int64_t k = r * nb + b;
    a.d[k] = d_stored;
    a.isum[k] = sum;
    a.s[k] = a.format == ActFormat::kQ8_1 ? tensor::round_to_fp16(d * static_cast<float>(sum))
                                          : d_stored * static_cast<float>(sum);
  }
}

// Q8_K block of 256: the element of largest magnitude maps to -127 (d = -max/127).
void quantize_row_q8_k(const ActBatch& a, const float* x, int64_t r) {
  const int64_t nb = a.n_blocks;
  int8_t* q = a.q + r * a.n_in;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * 256;
    int8_t* qb = q + b * 256;
    int16_t* bs = a.bsums + (r * nb + b) * 16;
    float max = 0.0f;
    float amax = 0.0f;
    for (int i = 0; i < 256; ++i) {
      const float ax = std::fabs(xb[i]);
      if (ax > amax) {
        amax = ax;
        max = xb[i];
      }
    }
    if (amax == 0.0f) {
      a.d[r * nb + b] = 0.0f;
      std::memset(qb, 0, 256);
      std::memset(bs, 0, 16 * sizeof(int16_t));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int i = 0; i < 256; ++i) {
      const int v = static_cast<int>(std::nearbyint(iscale * xb[i]));
      qb[i] = static_cast<int8_t>(v < 127 ? v : 127);
    }
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += qb[j * 16 + i];
      bs[j] = static_cast<int16_t>(sum);
    }
    a.d[r * nb + b] = 1.0f / iscale;
  }
}

}  // namespace

void prepare_scalar(const ActBatch& a, const float* x, int64_t ldx, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * ldx;
    switch (a.format) {
      case ActFormat::kF32:
        break;
      case ActFormat::kF16: {
        float* out = a.f + r * a.ldf;
        for (int64_t i = 0; i < a.n_in; ++i) {
          out[i] = tensor::round_to_fp16(xr[i]);
        }
        break;
      }
      case ActFormat::kBF16: {
        float* out = a.f + r * a.ldf;
        for (int64_t i = 0; i < a.n_in; ++i) {
          out[i] = tensor::round_to_bf16(xr[i]);
        }
        break;
      }
      case ActFormat::kQ8_0:
      case ActFormat::kQ8_1:
        quantize_row_q8(a, xr, r);
        break;
      case ActFormat::kQ8_K:
        quantize_row_q8_k(a, xr, r);
        break;
    }
  }
}

}  // namespace dsinfer::kernels::matmul_detail
