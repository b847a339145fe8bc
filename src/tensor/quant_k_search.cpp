// The K types' sub-block scale searches: scalar, and AVX2 with one sub-block per lane.
#include "tensor/quant_k_search.h"

#include <cmath>
#include <cstring>

#include "tensor/cpu_features.h"
#include "tensor/quant_math.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DSINFER_TENSOR_X86 1
#endif

namespace dsinfer::tensor::detail {
namespace {

#if DSINFER_TENSOR_X86
#define DSINFER_AVX2 __attribute__((target("avx2,fma,f16c")))

// nearest_int on 8 lanes: clamp to +-(2^22 - 1), then convert rounding half to even.
DSINFER_AVX2 inline __m256i nearest_int8(__m256 v) {
  const __m256 limit = _mm256_set1_ps(4194303.f);
  v = _mm256_min_ps(_mm256_max_ps(v, _mm256_sub_ps(_mm256_setzero_ps(), limit)), limit);
  return _mm256_cvtps_epi32(v);
}

DSINFER_AVX2 inline __m256i clamp8(__m256i v, int lo, int hi) {
  return _mm256_min_epi32(_mm256_max_epi32(v, _mm256_set1_epi32(lo)), _mm256_set1_epi32(hi));
}

// x[n*j + i] -> t[i][j] for 8 sub-blocks of n elements.
void transpose_8(const float* x, int n, float (*t)[8]) {
  for (int j = 0; j < 8; ++j) {
    for (int i = 0; i < n; ++i) t[i][j] = x[n * j + i];
  }
}

// NOTE: every lane runs fit_scale_min's float operations in its order (no FMA, same
// association), and lane-wise selects replace its branches, so results equal the scalar's.
DSINFER_AVX2 void fit_scale_min_8x32_avx2(const float* x, const float* w, int nmax, float rmin,
                                          float rdelta, int nstep, uint8_t* L, float* scales,
                                          float* neg_mins) {
  constexpr int kN = 32;
  alignas(32) float xt[kN][8];
  alignas(32) float wt[kN][8];
  alignas(32) int32_t best_l[kN][8];
  alignas(32) int32_t trial_l[kN][8];
  transpose_8(x, kN, xt);
  transpose_8(w, kN, wt);
  const __m256 zero = _mm256_setzero_ps();
  __m256 lo = _mm256_load_ps(xt[0]);
  __m256 hi = lo;
  __m256 sum_w = _mm256_load_ps(wt[0]);
  __m256 sum_x = _mm256_mul_ps(sum_w, lo);
  for (int i = 1; i < kN; ++i) {
    const __m256 xi = _mm256_load_ps(xt[i]);
    const __m256 wi = _mm256_load_ps(wt[i]);
    lo = _mm256_blendv_ps(lo, xi, _mm256_cmp_ps(xi, lo, _CMP_LT_OQ));
    hi = _mm256_blendv_ps(hi, xi, _mm256_cmp_ps(xi, hi, _CMP_GT_OQ));
    sum_w = _mm256_add_ps(sum_w, wi);
    sum_x = _mm256_add_ps(sum_x, _mm256_mul_ps(wi, xi));
  }
  lo = _mm256_blendv_ps(lo, zero, _mm256_cmp_ps(lo, zero, _CMP_GT_OQ));
  const __m256 degenerate = _mm256_cmp_ps(hi, lo, _CMP_EQ_OQ);
  const __m256 lo_first = lo;

  __m256 iscale = _mm256_div_ps(_mm256_set1_ps(static_cast<float>(nmax)), _mm256_sub_ps(hi, lo));
  __m256 scale = _mm256_div_ps(_mm256_set1_ps(1.f), iscale);
  __m256 best_error = zero;
  for (int i = 0; i < kN; ++i) {
    const __m256 xi = _mm256_load_ps(xt[i]);
    const __m256i l = clamp8(nearest_int8(_mm256_mul_ps(iscale, _mm256_sub_ps(xi, lo))), 0, nmax);
    _mm256_store_si256(reinterpret_cast<__m256i*>(best_l[i]), l);
    __m256 diff = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(scale, _mm256_cvtepi32_ps(l)), lo), xi);
    diff = _mm256_mul_ps(diff, diff);
    best_error = _mm256_add_ps(best_error, _mm256_mul_ps(_mm256_load_ps(wt[i]), diff));
  }
  for (int is = 0; is <= nstep; ++is) {
    const float numerator = rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax);
    iscale = _mm256_div_ps(_mm256_set1_ps(numerator), _mm256_sub_ps(hi, lo));
    __m256 sum_l = zero, sum_l2 = zero, sum_xl = zero;
    for (int i = 0; i < kN; ++i) {
      const __m256 xi = _mm256_load_ps(xt[i]);
      const __m256 wi = _mm256_load_ps(wt[i]);
      const __m256i l = clamp8(nearest_int8(_mm256_mul_ps(iscale, _mm256_sub_ps(xi, lo))), 0, nmax);
      _mm256_store_si256(reinterpret_cast<__m256i*>(trial_l[i]), l);
      const __m256 fl = _mm256_cvtepi32_ps(l);
      const __m256 wl = _mm256_mul_ps(wi, fl);
      sum_l = _mm256_add_ps(sum_l, wl);
      sum_l2 = _mm256_add_ps(sum_l2, _mm256_mul_ps(wl, fl));
      sum_xl = _mm256_add_ps(sum_xl, _mm256_mul_ps(wl, xi));
    }
    const __m256 det = _mm256_sub_ps(_mm256_mul_ps(sum_w, sum_l2), _mm256_mul_ps(sum_l, sum_l));
    const __m256 det_ok = _mm256_cmp_ps(det, zero, _CMP_GT_OQ);
    if (_mm256_movemask_ps(det_ok) == 0) continue;
    __m256 this_scale = _mm256_div_ps(
        _mm256_sub_ps(_mm256_mul_ps(sum_w, sum_xl), _mm256_mul_ps(sum_x, sum_l)), det);
    __m256 this_min = _mm256_div_ps(
        _mm256_sub_ps(_mm256_mul_ps(sum_l2, sum_x), _mm256_mul_ps(sum_l, sum_xl)), det);
    const __m256 min_pos = _mm256_cmp_ps(this_min, zero, _CMP_GT_OQ);
    this_min = _mm256_blendv_ps(this_min, zero, min_pos);
    this_scale = _mm256_blendv_ps(this_scale, _mm256_div_ps(sum_xl, sum_l2), min_pos);
    __m256 error = zero;
    for (int i = 0; i < kN; ++i) {
      const __m256 fl =
          _mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(trial_l[i])));
      __m256 diff = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(this_scale, fl), this_min),
                                  _mm256_load_ps(xt[i]));
      diff = _mm256_mul_ps(diff, diff);
      error = _mm256_add_ps(error, _mm256_mul_ps(_mm256_load_ps(wt[i]), diff));
    }
    const __m256 better = _mm256_and_ps(det_ok, _mm256_cmp_ps(error, best_error, _CMP_LT_OQ));
    if (_mm256_movemask_ps(better) == 0) continue;
    const __m256i better_i = _mm256_castps_si256(better);
    for (int i = 0; i < kN; ++i) {
      const __m256i old_l = _mm256_load_si256(reinterpret_cast<const __m256i*>(best_l[i]));
      const __m256i new_l = _mm256_load_si256(reinterpret_cast<const __m256i*>(trial_l[i]));
      _mm256_store_si256(reinterpret_cast<__m256i*>(best_l[i]),
                         _mm256_blendv_epi8(old_l, new_l, better_i));
    }
    best_error = _mm256_blendv_ps(best_error, error, better);
    scale = _mm256_blendv_ps(scale, this_scale, better);
    lo = _mm256_blendv_ps(lo, this_min, better);
  }
  const __m256 sign = _mm256_set1_ps(-0.0f);
  alignas(32) float out_scale[8];
  alignas(32) float out_neg_min[8];
  _mm256_store_ps(out_scale, _mm256_blendv_ps(scale, zero, degenerate));
  _mm256_store_ps(out_neg_min, _mm256_xor_ps(_mm256_blendv_ps(lo, lo_first, degenerate), sign));
  const int degenerate_mask = _mm256_movemask_ps(degenerate);
  for (int j = 0; j < 8; ++j) {
    scales[j] = out_scale[j];
    neg_mins[j] = out_neg_min[j];
    const bool zero_l = (degenerate_mask >> j) & 1;
    for (int i = 0; i < kN; ++i) {
      L[kN * j + i] = zero_l ? 0 : static_cast<uint8_t>(best_l[i][j]);
    }
  }
}

// One grid of fit_symmetric_scale on 8 lanes: sums, and its L (l + nmax) into `out`.
DSINFER_AVX2 void symmetric_grid(const float (*xt)[8], int nmax, __m256 iscale, int32_t (*out)[8],
                                 __m256* sumlx, __m256* suml2) {
  __m256 slx = _mm256_setzero_ps();
  __m256 sl2 = _mm256_setzero_ps();
  for (int i = 0; i < 16; ++i) {
    const __m256 xi = _mm256_load_ps(xt[i]);
    const __m256i l = clamp8(nearest_int8(_mm256_mul_ps(iscale, xi)), -nmax, nmax - 1);
    _mm256_store_si256(reinterpret_cast<__m256i*>(out[i]),
                       _mm256_add_epi32(l, _mm256_set1_epi32(nmax)));
    const __m256 fl = _mm256_cvtepi32_ps(l);
    const __m256 w = _mm256_mul_ps(xi, xi);
    slx = _mm256_add_ps(slx, _mm256_mul_ps(_mm256_mul_ps(w, xi), fl));
    sl2 = _mm256_add_ps(sl2, _mm256_mul_ps(_mm256_mul_ps(w, fl), fl));
  }
  *sumlx = slx;
  *suml2 = sl2;
}

// Lane-parallel fit_symmetric_scale for 8 sub-blocks of 16 (same operation order).
DSINFER_AVX2 void fit_symmetric_8x16_avx2(const float* x, int nmax, int8_t* L, float* scales) {
  constexpr int kN = 16;
  alignas(32) float xt[kN][8];
  alignas(32) int32_t best_l[kN][8];
  alignas(32) int32_t trial_l[kN][8];
  transpose_8(x, kN, xt);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 max = zero;
  __m256 amax = zero;
  for (int i = 0; i < kN; ++i) {
    const __m256 xi = _mm256_load_ps(xt[i]);
    const __m256 ax = _mm256_andnot_ps(sign, xi);
    const __m256 gt = _mm256_cmp_ps(ax, amax, _CMP_GT_OQ);
    amax = _mm256_blendv_ps(amax, ax, gt);
    max = _mm256_blendv_ps(max, xi, gt);
  }
  const __m256 all_zero = _mm256_cmp_ps(amax, _mm256_set1_ps(kGroupMaxEps), _CMP_LT_OQ);
  __m256 sumlx, suml2;
  symmetric_grid(xt, nmax, _mm256_div_ps(_mm256_set1_ps(static_cast<float>(-nmax)), max), best_l,
                 &sumlx, &suml2);
  __m256 scale =
      _mm256_blendv_ps(zero, _mm256_div_ps(sumlx, suml2), _mm256_cmp_ps(suml2, zero, _CMP_NEQ_UQ));
  __m256 best = _mm256_mul_ps(scale, sumlx);
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    const float numerator = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is));
    symmetric_grid(xt, nmax, _mm256_div_ps(_mm256_set1_ps(numerator), max), trial_l, &sumlx,
                   &suml2);
    const __m256 better = _mm256_and_ps(
        _mm256_cmp_ps(suml2, zero, _CMP_GT_OQ),
        _mm256_cmp_ps(_mm256_mul_ps(sumlx, sumlx), _mm256_mul_ps(best, suml2), _CMP_GT_OQ));
    if (_mm256_movemask_ps(better) == 0) continue;
    const __m256i better_i = _mm256_castps_si256(better);
    for (int i = 0; i < kN; ++i) {
      const __m256i old_l = _mm256_load_si256(reinterpret_cast<const __m256i*>(best_l[i]));
      const __m256i new_l = _mm256_load_si256(reinterpret_cast<const __m256i*>(trial_l[i]));
      _mm256_store_si256(reinterpret_cast<__m256i*>(best_l[i]),
                         _mm256_blendv_epi8(old_l, new_l, better_i));
    }
    scale = _mm256_blendv_ps(scale, _mm256_div_ps(sumlx, suml2), better);
    best = _mm256_blendv_ps(best, _mm256_mul_ps(scale, sumlx), better);
  }
  alignas(32) float out_scale[8];
  _mm256_store_ps(out_scale, _mm256_blendv_ps(scale, zero, all_zero));
  const int zero_mask = _mm256_movemask_ps(all_zero);
  for (int j = 0; j < 8; ++j) {
    scales[j] = out_scale[j];
    const bool zero_l = (zero_mask >> j) & 1;
    for (int i = 0; i < kN; ++i) L[kN * j + i] = zero_l ? 0 : static_cast<int8_t>(best_l[i][j]);
  }
}
#endif

}  // namespace

float fit_scale_min(int n, int nmax, const float* x, const float* w, uint8_t* L, float* neg_min,
                    float rmin, float rdelta, int nstep, bool use_mad) {
  float lo = x[0];
  float hi = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (lo > 0) lo = 0;
  if (hi == lo) {
    std::memset(L, 0, static_cast<size_t>(n));
    *neg_min = -lo;
    return 0.f;
  }
  float iscale = static_cast<float>(nmax) / (hi - lo);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<uint8_t>(clamp_int(nearest_int(iscale * (x[i] - lo)), 0, nmax));
    float diff = scale * static_cast<float>(L[i]) + lo - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    best_error += w[i] * diff;
  }
  uint8_t trial[32];
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax)) / (hi - lo);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_int(nearest_int(iscale * (x[i] - lo)), 0, nmax);
      trial[i] = static_cast<uint8_t>(l);
      const float fl = static_cast<float>(l);
      sum_l += w[i] * fl;
      sum_l2 += w[i] * fl * fl;
      sum_xl += w[i] * fl * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * static_cast<float>(trial[i]) + this_min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        error += w[i] * diff;
      }
      if (error < best_error) {
        std::memcpy(L, trial, static_cast<size_t>(n));
        best_error = error;
        scale = this_scale;
        lo = this_min;  // as the reference: later grids start from the improved min
      }
    }
  }
  *neg_min = -lo;
  return scale;
}

float fit_symmetric_scale(int n, int nmax, const float* x, int8_t* L) {
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
  const auto grid_sums = [&](float iscale, float* sumlx, float* suml2) {
    *sumlx = 0;
    *suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const float l = static_cast<float>(clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1));
      const float w = x[i] * x[i];
      *sumlx += w * x[i] * l;
      *suml2 += w * l * l;
    }
  };
  const auto store = [&](float iscale) {
    for (int i = 0; i < n; ++i) {
      L[i] = static_cast<int8_t>(nmax + clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1));
    }
  };
  float iscale = static_cast<float>(-nmax) / max;
  float sumlx, suml2;
  grid_sums(iscale, &sumlx, &suml2);
  store(iscale);
  float scale = suml2 != 0.f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
    grid_sums(iscale, &sumlx, &suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      store(iscale);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

void fit_scale_min_8x32(const float* x, const float* w, int nmax, float rmin, float rdelta,
                        int nstep, uint8_t* L, float* scales, float* neg_mins, bool allow_simd) {
#if DSINFER_TENSOR_X86
  if (allow_simd && cpu_has_avx2()) {
    fit_scale_min_8x32_avx2(x, w, nmax, rmin, rdelta, nstep, L, scales, neg_mins);
    return;
  }
#endif
  for (int j = 0; j < 8; ++j) {
    scales[j] = fit_scale_min(32, nmax, x + 32 * j, w + 32 * j, L + 32 * j, &neg_mins[j], rmin,
                              rdelta, nstep, false);
  }
}

void fit_symmetric_16x16(const float* x, int nmax, int8_t* L, float* scales, bool allow_simd) {
#if DSINFER_TENSOR_X86
  if (allow_simd && cpu_has_avx2()) {
    fit_symmetric_8x16_avx2(x, nmax, L, scales);
    fit_symmetric_8x16_avx2(x + 128, nmax, L + 128, scales + 8);
    return;
  }
#endif
  for (int j = 0; j < 16; ++j) scales[j] = fit_symmetric_scale(16, nmax, x + 16 * j, L + 16 * j);
}

}  // namespace dsinfer::tensor::detail
