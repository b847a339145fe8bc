// SiLU-gated activation and residual add: scalar reference and AVX2 variant.
#include "kernels/activation.h"

#include <cmath>

#include "kernels/simd_target.h"
#include "kernels/vec_exp_avx2.h"

namespace dsinfer::kernels {
namespace {

DSINFER_SCALAR_REFERENCE void silu_mul_scalar(const float* gate, const float* up, float* out,
                                              int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

DSINFER_SCALAR_REFERENCE void add_scalar(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

#if DSINFER_HAVE_X86
DSINFER_TARGET_AVX2 void silu_mul_avx2(const float* gate, const float* up, float* out, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp256_ps(_mm256_sub_ps(zero, g));
    const __m256 s = _mm256_div_ps(g, _mm256_add_ps(one, e));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) {
    const float g = gate[i];
    out[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

DSINFER_TARGET_AVX2 void add_avx2(float* y, const float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
  }
  for (; i < n; ++i) y[i] += x[i];
}
#endif

}  // namespace

void silu_mul(const float* gate, const float* up, float* out, int64_t n, Isa isa) {
#if DSINFER_HAVE_X86
  if (isa != Isa::kScalar) {
    silu_mul_avx2(gate, up, out, n);
    return;
  }
#endif
  silu_mul_scalar(gate, up, out, n);
}

void add_inplace(float* y, const float* x, int64_t n, Isa isa) {
#if DSINFER_HAVE_X86
  if (isa != Isa::kScalar) {
    add_avx2(y, x, n);
    return;
  }
#endif
  add_scalar(y, x, n);
}

}  // namespace dsinfer::kernels
