// RMSNorm: scalar reference and AVX2 variant.
#include "kernels/norm.h"

#include <cmath>

#include "kernels/simd_target.h"

#if DSINFER_HAVE_X86
#include <immintrin.h>
#endif

namespace dsinfer::kernels {
namespace {

DSINFER_SCALAR_REFERENCE void rms_norm_row_scalar(const float* x, int64_t n, const float* weight,
                                                  float eps, float* y) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  if (weight != nullptr) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * weight[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale;
  }
}

#if DSINFER_HAVE_X86
DSINFER_TARGET_AVX2 void rms_norm_row_avx2(const float* x, int64_t n, const float* weight,
                                           float eps, float* y) {
  __m256d acc0 = _mm256_setzero_pd();
  __m256d acc1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 sq = _mm256_mul_ps(v, v);
    acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(sq)));
    acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(sq, 1)));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(acc0, acc1));
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  const __m256 vs = _mm256_set1_ps(scale);
  i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), vs);
    if (weight != nullptr) v = _mm256_mul_ps(v, _mm256_loadu_ps(weight + i));
    _mm256_storeu_ps(y + i, v);
  }
  for (; i < n; ++i) y[i] = weight != nullptr ? (x[i] * scale) * weight[i] : x[i] * scale;
}
#endif

}  // namespace

void rms_norm(const float* x, int64_t ldx, int64_t n_rows, int64_t n, const float* weight,
              float eps, float* y, int64_t ldy, Isa isa) {
  for (int64_t r = 0; r < n_rows; ++r) {
#if DSINFER_HAVE_X86
    if (isa != Isa::kScalar) {
      rms_norm_row_avx2(x + r * ldx, n, weight, eps, y + r * ldy);
      continue;
    }
#endif
    rms_norm_row_scalar(x + r * ldx, n, weight, eps, y + r * ldy);
  }
}

}  // namespace dsinfer::kernels
