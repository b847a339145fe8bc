// Paged causal GQA attention over an F16 KV cache: scalar reference and AVX2 variant.
#include "kernels/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "kernels/simd_target.h"
#include "kernels/softmax.h"
#include "kernels/vec_exp_avx2.h"
#include "tensor/fp16.h"

#if DSINFER_HAVE_X86
#include <immintrin.h>
#endif

namespace dsinfer::kernels {
namespace {

inline float round_to_fp16(float x) { return tensor::fp16_to_float(tensor::float_to_fp16(x)); }

// Per-thread buffers for one (token, head) row.
struct Scratch {
  std::vector<float> q;       // [head_dim_k], rounded through F16
  std::vector<float> scores;  // [n_kv]
};

struct Row {
  const float* q;  // this head's query
  float* out;      // this head's output
  int64_t n_kv;    // positions attended
  const int32_t* block_table;
  int64_t kv_head;
};

DSINFER_SCALAR_REFERENCE void attend_scalar(const AttentionDims& d, const PagedKv& kv,
                                            const Row& row, Scratch& s) {
  for (int64_t i = 0; i < d.head_dim_k; ++i) s.q[static_cast<size_t>(i)] = round_to_fp16(row.q[i]);
  const int64_t k_off = row.kv_head * d.head_dim_k;
  const int64_t v_off = row.kv_head * d.head_dim_v;
  float* scores = s.scores.data();
  for (int64_t j = 0; j < row.n_kv; ++j) {
    const uint16_t* krow = kv.k + row.block_table[j / kv.block_size] * kv.k_block_stride +
                           (j % kv.block_size) * kv.k_row_stride + k_off;
    float dot = 0.0f;
    for (int64_t i = 0; i < d.head_dim_k; ++i)
      dot += s.q[static_cast<size_t>(i)] * tensor::fp16_to_float(krow[i]);
    scores[j] = dot * d.scale;
  }
  softmax_inplace(scores, row.n_kv, Isa::kScalar);
  for (int64_t i = 0; i < d.head_dim_v; ++i) row.out[i] = 0.0f;
  for (int64_t j = 0; j < row.n_kv; ++j) {
    const float p = round_to_fp16(scores[j]);
    const uint16_t* vrow = kv.v + row.block_table[j / kv.block_size] * kv.v_block_stride +
                           (j % kv.block_size) * kv.v_row_stride + v_off;
    for (int64_t i = 0; i < d.head_dim_v; ++i) row.out[i] += p * tensor::fp16_to_float(vrow[i]);
  }
}

#if DSINFER_HAVE_X86
DSINFER_TARGET_AVX2 float dot_f32_f16_avx2(const float* q, const uint16_t* k, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 k0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + i)));
    const __m256 k1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + i + 8)));
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), k0, acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), k1, acc1);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 k0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + i)));
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), k0, acc0);
  }
  float sum = hsum256_ps(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += q[i] * tensor::fp16_to_float(k[i]);
  return sum;
}

DSINFER_TARGET_AVX2 void axpy_f16_avx2(float p, const uint16_t* v, float* out, int64_t n) {
  const __m256 vp = _mm256_set1_ps(p);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)));
    _mm256_storeu_ps(out + i, _mm256_fmadd_ps(vp, v0, _mm256_loadu_ps(out + i)));
  }
  for (; i < n; ++i) out[i] += p * tensor::fp16_to_float(v[i]);
}

DSINFER_TARGET_AVX2 void attend_avx2(const AttentionDims& d, const PagedKv& kv, const Row& row,
                                     Scratch& s) {
  int64_t i = 0;
  for (; i + 8 <= d.head_dim_k; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(row.q + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(s.q.data() + i, _mm256_cvtph_ps(h));
  }
  for (; i < d.head_dim_k; ++i) s.q[static_cast<size_t>(i)] = round_to_fp16(row.q[i]);
  const int64_t k_off = row.kv_head * d.head_dim_k;
  const int64_t v_off = row.kv_head * d.head_dim_v;
  float* scores = s.scores.data();
  for (int64_t j0 = 0; j0 < row.n_kv; j0 += kv.block_size) {
    const int64_t block = row.block_table[j0 / kv.block_size];
    const uint16_t* kb = kv.k + block * kv.k_block_stride + k_off;
    const int64_t n = std::min(kv.block_size, row.n_kv - j0);
    for (int64_t j = 0; j < n; ++j) {
      scores[j0 + j] =
          dot_f32_f16_avx2(s.q.data(), kb + j * kv.k_row_stride, d.head_dim_k) * d.scale;
    }
  }
  softmax_inplace(scores, row.n_kv, Isa::kAvx2);
  // Round the probabilities through F16 (as the reference's F16 mat-mul with V does).
  int64_t j = 0;
  for (; j + 8 <= row.n_kv; j += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(scores + j), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(scores + j, _mm256_cvtph_ps(h));
  }
  for (; j < row.n_kv; ++j) scores[j] = round_to_fp16(scores[j]);
  std::fill(row.out, row.out + d.head_dim_v, 0.0f);
  for (int64_t j0 = 0; j0 < row.n_kv; j0 += kv.block_size) {
    const int64_t block = row.block_table[j0 / kv.block_size];
    const uint16_t* vb = kv.v + block * kv.v_block_stride + v_off;
    const int64_t n = std::min(kv.block_size, row.n_kv - j0);
    for (int64_t jj = 0; jj < n; ++jj) {
      axpy_f16_avx2(scores[j0 + jj], vb + jj * kv.v_row_stride, row.out, d.head_dim_v);
    }
  }
}

#endif

}  // namespace

void attention_paged(const AttentionDims& dims, const PagedKv& kv, const AttentionTask* tasks,
                     size_t n_tasks, ThreadPool& pool, Isa isa) {
  const int64_t group = dims.n_head / dims.n_head_kv;
  std::vector<int64_t> first_unit(n_tasks + 1, 0);  // units = (token, head) rows per task
  int64_t max_kv = 1;
  for (size_t t = 0; t < n_tasks; ++t) {
    first_unit[t + 1] = first_unit[t] + tasks[t].n_tokens * dims.n_head;
    max_kv = std::max(max_kv, tasks[t].start_pos + tasks[t].n_tokens);
  }
  const int64_t n_units = first_unit[n_tasks];
  if (n_units == 0) return;
  constexpr int64_t kUnitsPerGrab = 4;
  std::atomic<int64_t> next{0};
  pool.run([&](int /*thread*/, int /*n_threads*/) {
    Scratch s;
    s.q.resize(static_cast<size_t>(dims.head_dim_k));
    s.scores.resize(static_cast<size_t>(max_kv));
    size_t task = 0;
    for (;;) {
      const int64_t begin = next.fetch_add(kUnitsPerGrab, std::memory_order_relaxed);
      if (begin >= n_units) break;
      const int64_t end = std::min(n_units, begin + kUnitsPerGrab);
      for (int64_t u = begin; u < end; ++u) {
        while (u >= first_unit[task + 1]) ++task;
        while (u < first_unit[task]) --task;
        const AttentionTask& tk = tasks[task];
        const int64_t local = u - first_unit[task];
        const int64_t t = local / dims.n_head;
        const int64_t h = local % dims.n_head;
        const Row row{tk.q + t * tk.ldq + h * dims.head_dim_k,
                      tk.out + t * tk.ldo + h * dims.head_dim_v, tk.start_pos + t + 1,
                      tk.block_table, h / group};
#if DSINFER_HAVE_X86
        if (isa != Isa::kScalar) {
          attend_avx2(dims, kv, row, s);
          continue;
        }
#endif
        attend_scalar(dims, kv, row, s);
      }
    }
  });
}

}  // namespace dsinfer::kernels
