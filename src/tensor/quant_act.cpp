// Activation quantisers (float rows -> Q8_0 / Q8_1 / Q8_K blocks) and 16-bit float row
// conversions: a scalar path plus an AVX2/F16C path picked once from CPUID, bit-identical.
#include <cmath>
#include <cstring>

#include "base/error.h"
#include "tensor/cpu_features.h"
#include "tensor/fp16.h"
#include "tensor/quant_math.h"
#include "tensor/quantize.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DSINFER_TENSOR_X86 1
#endif

namespace dsinfer::tensor {
namespace {

using detail::nearest_int;

void require_multiple(const char* what, int64_t n, int64_t block) {
  if (n < 0 || n % block != 0) {
    fail(ErrorKind::kInvalidInput, "{}: row length {} is not a multiple of the block size {}", what,
         n, block);
  }
}

int clamp_i8(int v) { return v < -128 ? -128 : (v > 127 ? 127 : v); }

// ---- scalar ----

// Returns d (float) and fills y->qs; shared by Q8_0 and Q8_1. Returns the sum of the quants.
int quantize_block_q8(const float* x, int8_t* qs, float* d_out) {
  float amax = 0.f;
  for (int j = 0; j < kQK; ++j) {
    const float a = std::fabs(x[j]);
    amax = a > amax ? a : amax;
  }
  const float d = amax / 127.f;
  const float id = amax != 0.f ? 127.f / amax : 0.f;
  int sum = 0;
  for (int j = 0; j < kQK; ++j) {
    const int q = clamp_i8(nearest_int(x[j] * id));
    qs[j] = static_cast<int8_t>(q);
    sum += q;
  }
  *d_out = d;
  return sum;
}

// The Q8_K block's signed scale: the first element of largest |x| (0 when all are zero).
float q8_k_signed_max(const float* x) {
  float max = 0;
  float amax = 0;
  for (int j = 0; j < kQKK; ++j) {
    const float a = std::fabs(x[j]);
    if (a > amax) {
      amax = a;
      max = x[j];
    }
  }
  return max;
}

void fill_bsums(BlockQ8_K* y) {
  for (int g = 0; g < kQKK / 16; ++g) {
    int sum = 0;
    for (int i = 0; i < 16; ++i) sum += y->qs[16 * g + i];
    y->bsums[g] = static_cast<int16_t>(sum);
  }
}

void zero_q8_k(BlockQ8_K* y) {
  y->d = 0;
  std::memset(y->qs, 0, sizeof(y->qs));
  std::memset(y->bsums, 0, sizeof(y->bsums));
}

// ---- AVX2 ----
#if DSINFER_TENSOR_X86
#define DSINFER_AVX2 __attribute__((target("avx2,fma,f16c")))

DSINFER_AVX2 float hmax_abs_8x4(__m256 v0, __m256 v1, __m256 v2, __m256 v3) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1));
  m = _mm256_max_ps(m, _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
  __m128 h = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

// Rounds 32 floats * scale half-to-even, saturates to int8 and stores them in order.
// Returns the four int32 vectors' sum vector (for Q8_1 sums).
DSINFER_AVX2 __m256i round_pack_store_32(__m256 v0, __m256 v1, __m256 v2, __m256 v3, __m256 mul,
                                         int8_t* out) {
  const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, mul));
  const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, mul));
  const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, mul));
  const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, mul));
  // packs works per 128-bit lane; the permute restores element order.
  const __m256i p01 = _mm256_packs_epi32(i0, i1);
  const __m256i p23 = _mm256_packs_epi32(i2, i3);
  __m256i p = _mm256_packs_epi16(p01, p23);
  p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), p);
  return _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
}

DSINFER_AVX2 int hsum_i32_8(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

template <typename Block, bool kWithSum>
DSINFER_AVX2 void quantize_q8_blocks_avx2(const float* x, Block* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += kQK) {
    const __m256 v0 = _mm256_loadu_ps(x);
    const __m256 v1 = _mm256_loadu_ps(x + 8);
    const __m256 v2 = _mm256_loadu_ps(x + 16);
    const __m256 v3 = _mm256_loadu_ps(x + 24);
    const float amax = hmax_abs_8x4(v0, v1, v2, v3);
    const float d = amax / 127.f;
    const float id = amax != 0.f ? 127.f / amax : 0.f;
    const __m256i sums = round_pack_store_32(v0, v1, v2, v3, _mm256_set1_ps(id), y[b].qs);
    y[b].d = float_to_fp16(d);
    if constexpr (kWithSum) y[b].s = float_to_fp16(d * static_cast<float>(hsum_i32_8(sums)));
  }
}

DSINFER_AVX2 void quantize_q8_k_avx2(const float* x, BlockQ8_K* y, int64_t nb) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < nb; ++b, x += kQKK) {
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < kQKK; j += 8)
      m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
    __m128 h = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    const float amax = _mm_cvtss_f32(h);
    if (!(amax > 0.f)) {
      zero_q8_k(&y[b]);
      continue;
    }
    // The sign comes from the first element whose |x| equals the maximum.
    float max = amax;
    const __m256 target = _mm256_set1_ps(amax);
    for (int j = 0; j < kQKK; j += 8) {
      const __m256 a = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j));
      const int mask = _mm256_movemask_ps(_mm256_cmp_ps(a, target, _CMP_EQ_OQ));
      if (mask != 0) {
        max = x[j + __builtin_ctz(static_cast<unsigned>(mask))];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m256 mul = _mm256_set1_ps(iscale);
    for (int j = 0; j < kQKK; j += 32) {
      round_pack_store_32(_mm256_loadu_ps(x + j), _mm256_loadu_ps(x + j + 8),
                          _mm256_loadu_ps(x + j + 16), _mm256_loadu_ps(x + j + 24), mul,
                          y[b].qs + j);
    }
    // bsums: sign-extend each 16-quant group to int16, pairwise-add to int32, reduce.
    const __m256i ones = _mm256_set1_epi16(1);
    for (int g = 0; g < kQKK / 16; g += 2) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs + 16 * g));
      const __m256i lo = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(q)), ones);
      const __m256i hi =
          _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(q, 1)), ones);
      y[b].bsums[g] = static_cast<int16_t>(hsum_i32_8(lo));
      y[b].bsums[g + 1] = static_cast<int16_t>(hsum_i32_8(hi));
    }
    y[b].d = 1 / iscale;
  }
}

DSINFER_AVX2 void fp16_to_float_avx2(const fp16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) dst[i] = fp16_to_float(src[i]);
}

DSINFER_AVX2 void float_to_fp16_avx2(const float* src, fp16_t* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  for (; i < n; ++i) dst[i] = float_to_fp16(src[i]);
}

#endif

}  // namespace

bool quantize_act_uses_avx2() { return detail::cpu_has_avx2(); }

void quantize_act_q8_0_scalar(const float* x, BlockQ8_0* y, int64_t n) {
  require_multiple("quantize_act_q8_0", n, kQK);
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float d;
    quantize_block_q8(x, y[b].qs, &d);
    y[b].d = float_to_fp16(d);
  }
}

void quantize_act_q8_1_scalar(const float* x, BlockQ8_1* y, int64_t n) {
  require_multiple("quantize_act_q8_1", n, kQK);
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float d;
    const int sum = quantize_block_q8(x, y[b].qs, &d);
    y[b].d = float_to_fp16(d);
    y[b].s = float_to_fp16(d * static_cast<float>(sum));
  }
}

void quantize_act_q8_k_scalar(const float* x, BlockQ8_K* y, int64_t n) {
  require_multiple("quantize_act_q8_k", n, kQKK);
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    const float max = q8_k_signed_max(x);
    if (max == 0.f) {
      zero_q8_k(&y[b]);
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQKK; ++j) {
      y[b].qs[j] = static_cast<int8_t>(clamp_i8(nearest_int(iscale * x[j])));
    }
    fill_bsums(&y[b]);
    y[b].d = 1 / iscale;
  }
}

void quantize_act_q8_0(const float* x, BlockQ8_0* y, int64_t n) {
#if DSINFER_TENSOR_X86
  if (quantize_act_uses_avx2()) {
    require_multiple("quantize_act_q8_0", n, kQK);
    quantize_q8_blocks_avx2<BlockQ8_0, false>(x, y, n / kQK);
    return;
  }
#endif
  quantize_act_q8_0_scalar(x, y, n);
}

void quantize_act_q8_1(const float* x, BlockQ8_1* y, int64_t n) {
#if DSINFER_TENSOR_X86
  if (quantize_act_uses_avx2()) {
    require_multiple("quantize_act_q8_1", n, kQK);
    quantize_q8_blocks_avx2<BlockQ8_1, true>(x, y, n / kQK);
    return;
  }
#endif
  quantize_act_q8_1_scalar(x, y, n);
}

void quantize_act_q8_k(const float* x, BlockQ8_K* y, int64_t n) {
#if DSINFER_TENSOR_X86
  if (quantize_act_uses_avx2()) {
    require_multiple("quantize_act_q8_k", n, kQKK);
    quantize_q8_k_avx2(x, y, n / kQKK);
    return;
  }
#endif
  quantize_act_q8_k_scalar(x, y, n);
}

void fp16_to_float_row(const fp16_t* src, float* dst, int64_t n) {
#if DSINFER_TENSOR_X86
  if (quantize_act_uses_avx2()) {
    fp16_to_float_avx2(src, dst, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_float(src[i]);
}

void float_to_fp16_row(const float* src, fp16_t* dst, int64_t n) {
#if DSINFER_TENSOR_X86
  if (quantize_act_uses_avx2()) {
    float_to_fp16_avx2(src, dst, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) dst[i] = float_to_fp16(src[i]);
}

void bf16_to_float_row(const bf16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(src[i]);
}

void float_to_bf16_row(const float* src, bf16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = float_to_bf16(src[i]);
}

}  // namespace dsinfer::tensor
