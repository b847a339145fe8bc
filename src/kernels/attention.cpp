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

using tensor::round_to_fp16;

// Per-thread buffers for up to kMaxHeads (token, head) rows of one KV group.
constexpr int kMaxHeads = 4;
struct Scratch {
  int64_t max_kv = 0;
  std::vector<float> q;       // [kMaxHeads][head_dim_k], rounded through F16
  std::vector<float> scores;  // [kMaxHeads][max_kv]
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
// out[i] = in[i] rounded to the nearest F16 value (in == out allowed).
DSINFER_TARGET_AVX2 void round_through_f16_avx2(const float* in, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i r = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(r));
  }
  for (; i < n; ++i) out[i] = round_to_fp16(in[i]);
}

// H query heads of one KV group at once: each K and V row is loaded and converted from F16 once
// for the H heads. Per head, the arithmetic and its order are those of one head alone (two
// 8-wide accumulators over 16-element steps, an 8-element step, a scalar tail), so results do
// not depend on how heads are grouped.
template <int H>
DSINFER_TARGET_AVX2 void dot_heads_f16_avx2(const float* const* q, const uint16_t* k, int64_t n,
                                            float* out) {
  __m256 acc0[H], acc1[H];
  for (int h = 0; h < H; ++h) acc0[h] = acc1[h] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 k0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + i)));
    const __m256 k1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + i + 8)));
    for (int h = 0; h < H; ++h) {
      acc0[h] = _mm256_fmadd_ps(_mm256_loadu_ps(q[h] + i), k0, acc0[h]);
      acc1[h] = _mm256_fmadd_ps(_mm256_loadu_ps(q[h] + i + 8), k1, acc1[h]);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 k0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + i)));
    for (int h = 0; h < H; ++h) acc0[h] = _mm256_fmadd_ps(_mm256_loadu_ps(q[h] + i), k0, acc0[h]);
  }
  for (int h = 0; h < H; ++h) {
    float sum = hsum256_ps(_mm256_add_ps(acc0[h], acc1[h]));
    for (int64_t t = i; t < n; ++t) sum += q[h][t] * tensor::fp16_to_float(k[t]);
    out[h] = sum;
  }
}

// Output columns [c, c + 8 * S) of H heads, accumulated in registers over every position (the
// per-element order is one fused multiply-add per position, as when accumulating in memory), so
// each V row slice is converted from F16 once for the H heads and nothing is stored per position.
template <int H, int S>
DSINFER_TARGET_AVX2 void weighted_v_columns_avx2(const PagedKv& kv, const int32_t* table,
                                                 int64_t n_kv, int64_t v_off, const float* const* p,
                                                 float* const* out, int64_t c) {
  __m256 acc[H][S];
  for (int h = 0; h < H; ++h) {
    for (int t = 0; t < S; ++t) acc[h][t] = _mm256_setzero_ps();
  }
  for (int64_t j0 = 0; j0 < n_kv; j0 += kv.block_size) {
    const uint16_t* vb = kv.v + table[j0 / kv.block_size] * kv.v_block_stride + v_off + c;
    const int64_t n = std::min(kv.block_size, n_kv - j0);
    for (int64_t jj = 0; jj < n; ++jj) {
      const uint16_t* vr = vb + jj * kv.v_row_stride;
      __m256 v[S];
      for (int t = 0; t < S; ++t) {
        v[t] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(vr + 8 * t)));
      }
      for (int h = 0; h < H; ++h) {
        const __m256 ph = _mm256_broadcast_ss(p[h] + j0 + jj);
        for (int t = 0; t < S; ++t) acc[h][t] = _mm256_fmadd_ps(ph, v[t], acc[h][t]);
      }
    }
  }
  for (int h = 0; h < H; ++h) {
    for (int t = 0; t < S; ++t) _mm256_storeu_ps(out[h] + c + 8 * t, acc[h][t]);
  }
}

// Rows rows[0..H) share kv_head, n_kv and block_table.
template <int H>
DSINFER_TARGET_AVX2 void attend_heads_avx2(const AttentionDims& d, const PagedKv& kv,
                                           const Row* rows, Scratch& s) {
  const int64_t dk = d.head_dim_k;
  const int64_t n_kv = rows[0].n_kv;
  const float* q[H];
  float* scores[H];
  float* out[H];
  for (int h = 0; h < H; ++h) {
    float* qh = s.q.data() + h * dk;
    round_through_f16_avx2(rows[h].q, qh, dk);
    q[h] = qh;
    scores[h] = s.scores.data() + h * s.max_kv;
    out[h] = rows[h].out;
  }
  const int64_t k_off = rows[0].kv_head * dk;
  const int64_t v_off = rows[0].kv_head * d.head_dim_v;
  const int32_t* table = rows[0].block_table;
  float dots[H];
  for (int64_t j0 = 0; j0 < n_kv; j0 += kv.block_size) {
    const uint16_t* kb = kv.k + table[j0 / kv.block_size] * kv.k_block_stride + k_off;
    const int64_t n = std::min(kv.block_size, n_kv - j0);
    for (int64_t j = 0; j < n; ++j) {
      dot_heads_f16_avx2<H>(q, kb + j * kv.k_row_stride, dk, dots);
      for (int h = 0; h < H; ++h) scores[h][j0 + j] = dots[h] * d.scale;
    }
  }
  for (int h = 0; h < H; ++h) {
    softmax_inplace(scores[h], n_kv, Isa::kAvx2);
    // Round the probabilities through F16 (as the reference's F16 mat-mul with V does).
    round_through_f16_avx2(scores[h], scores[h], n_kv);
  }
  // Columns in register slices of 8 * S floats, then 8; a tail of < 8 columns in scalar code.
  constexpr int S = H <= 2 ? 4 : 2;
  const int64_t dv = d.head_dim_v;
  int64_t c = 0;
  for (; c + 8 * S <= dv; c += 8 * S) {
    weighted_v_columns_avx2<H, S>(kv, table, n_kv, v_off, scores, out, c);
  }
  for (; c + 8 <= dv; c += 8) weighted_v_columns_avx2<H, 1>(kv, table, n_kv, v_off, scores, out, c);
  if (c < dv) {
    for (int h = 0; h < H; ++h) std::fill(out[h] + c, out[h] + dv, 0.0f);
    for (int64_t j = 0; j < n_kv; ++j) {
      const uint16_t* vr = kv.v + table[j / kv.block_size] * kv.v_block_stride +
                           (j % kv.block_size) * kv.v_row_stride + v_off;
      for (int64_t i = c; i < dv; ++i) {
        const float vf = tensor::fp16_to_float(vr[i]);
        for (int h = 0; h < H; ++h) out[h][i] += scores[h][j] * vf;
      }
    }
  }
}

void attend_avx2(const AttentionDims& d, const PagedKv& kv, const Row* rows, int n, Scratch& s) {
  switch (n) {
    case 1:
      return attend_heads_avx2<1>(d, kv, rows, s);
    case 2:
      return attend_heads_avx2<2>(d, kv, rows, s);
    case 3:
      return attend_heads_avx2<3>(d, kv, rows, s);
    default:
      return attend_heads_avx2<4>(d, kv, rows, s);
  }
}

#endif

}  // namespace

// NOTE: a work unit is one token and up to kMaxHeads query heads of one KV group, so K/V rows are
// read once for those heads; units are grabbed dynamically (causal rows differ in cost).
void attention_paged(const AttentionDims& dims, const PagedKv& kv, const AttentionTask* tasks,
                     size_t n_tasks, ExecContext& ctx, Isa isa) {
  const int64_t group = dims.n_head / dims.n_head_kv;
  const int64_t chunks = (group + kMaxHeads - 1) / kMaxHeads;  // units per KV head and token
  const int64_t units_per_token = dims.n_head_kv * chunks;
  std::vector<int64_t> first_unit(n_tasks + 1, 0);
  int64_t max_kv = 1;
  for (size_t t = 0; t < n_tasks; ++t) {
    first_unit[t + 1] = first_unit[t] + tasks[t].n_tokens * units_per_token;
    max_kv = std::max(max_kv, tasks[t].start_pos + tasks[t].n_tokens);
  }
  const int64_t n_units = first_unit[n_tasks];
  if (n_units == 0) return;
  constexpr int64_t kUnitsPerGrab = 2;
  std::atomic<int64_t> next{0};
  ctx.run([&](int /*thread*/, int /*n_threads*/) {
    Scratch s;
    s.max_kv = max_kv;
    s.q.resize(static_cast<size_t>(kMaxHeads * dims.head_dim_k));
    s.scores.resize(static_cast<size_t>(kMaxHeads * max_kv));
    size_t task = 0;
    Row rows[kMaxHeads];
    for (;;) {
      const int64_t begin = next.fetch_add(kUnitsPerGrab, std::memory_order_relaxed);
      if (begin >= n_units) break;
      const int64_t end = std::min(n_units, begin + kUnitsPerGrab);
      for (int64_t u = begin; u < end; ++u) {
        while (u >= first_unit[task + 1]) ++task;
        while (u < first_unit[task]) --task;
        const AttentionTask& tk = tasks[task];
        const int64_t local = u - first_unit[task];
        const int64_t t = local / units_per_token;
        const int64_t kv_head = (local % units_per_token) / chunks;
        const int64_t h0 = kv_head * group + (local % chunks) * kMaxHeads;
        const int n = static_cast<int>(std::min<int64_t>(kMaxHeads, kv_head * group + group - h0));
        for (int i = 0; i < n; ++i) {
          rows[i] = Row{tk.q + t * tk.ldq + (h0 + i) * dims.head_dim_k,
                        tk.out + t * tk.ldo + (h0 + i) * dims.head_dim_v, tk.start_pos + t + 1,
                        tk.block_table, kv_head};
        }
#if DSINFER_HAVE_X86
        if (isa != Isa::kScalar) {
          attend_avx2(dims, kv, rows, n, s);
          continue;
        }
#endif
        for (int i = 0; i < n; ++i) attend_scalar(dims, kv, rows[i], s);
      }
    }
  });
}

}  // namespace dsinfer::kernels
