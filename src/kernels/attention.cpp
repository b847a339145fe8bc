// Paged causal GQA attention over an F16 KV cache: the scalar reference and the dispatch of
// query tiles to the tiled per-ISA variants (attention_avx2.cpp, attention_avx512.cpp).
#include "kernels/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "kernels/attention_internal.h"
#include "kernels/simd_target.h"
#include "kernels/softmax.h"
#include "tensor/fp16.h"

namespace dsinfer::kernels {
namespace {

using tensor::round_to_fp16;

using attention_detail::QueryTile;

// Per-thread buffers of the scalar reference.
struct Scratch {
  std::vector<float> q;       // [head_dim_k], rounded through F16
  std::vector<float> scores;  // [positions]
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

// Every row of the tile through the scalar reference.
void attend_tile_scalar(const AttentionDims& d, const PagedKv& kv, const QueryTile& tile,
                        Scratch& s) {
  const AttentionTask& tk = *tile.task;
  s.q.resize(static_cast<size_t>(d.head_dim_k));
  s.scores.resize(static_cast<size_t>(tk.start_pos + tile.t0 + tile.n_tok));
  for (int64_t t = tile.t0; t < tile.t0 + tile.n_tok; ++t) {
    for (int64_t h = tile.h0; h < tile.h0 + tile.n_heads; ++h) {
      const Row row{tk.q + t * tk.ldq + h * d.head_dim_k, tk.out + t * tk.ldo + h * d.head_dim_v,
                    tk.start_pos + t + 1, tk.block_table, tile.kv_head};
      attend_scalar(d, kv, row, s);
    }
  }
}

}  // namespace

// NOTE: a work unit is a tile of query rows: up to kTileRows rows of one KV head, made of
// consecutive tokens of one task times the heads of the KV group (all of them, or a slice when
// the group is larger than a tile or when there would be too few units to keep every thread
// busy, as in decode). K/V rows are converted once per tile for all its rows; units are grabbed
// dynamically (causal tiles differ in cost).
void attention_paged(const AttentionDims& dims, const PagedKv& kv, const AttentionTask* tasks,
                     size_t n_tasks, ExecContext& ctx, Isa isa) {
  const int64_t group = dims.n_head / dims.n_head_kv;
  int64_t max_kv = 1;
  for (size_t t = 0; t < n_tasks; ++t) {
    max_kv = std::max(max_kv, tasks[t].start_pos + tasks[t].n_tokens);
  }
  // Rows per tile: kTileRows, fewer when the transposed scores of a tile would pass 4 MiB.
  const int64_t tile_rows =
      std::max<int64_t>(1, std::min(attention_detail::kTileRows, (int64_t{1} << 20) / max_kv));
  int64_t heads_per_tile = std::min(group, tile_rows);
  const int64_t tokens_per_tile = std::max<int64_t>(1, tile_rows / heads_per_tile);
  // first_block[t]: the first block of tokens_per_tile tokens of task t, over all tasks.
  std::vector<int64_t> first_block(n_tasks + 1, 0);
  for (size_t t = 0; t < n_tasks; ++t) {
    first_block[t + 1] =
        first_block[t] + (tasks[t].n_tokens + tokens_per_tile - 1) / tokens_per_tile;
  }
  const auto chunks_of = [&](int64_t hpt) { return (group + hpt - 1) / hpt; };
  constexpr int64_t kMinHeadsPerTile = 8;  // a vector of rows (8 lanes)
  while (heads_per_tile > kMinHeadsPerTile &&
         first_block[n_tasks] * dims.n_head_kv * chunks_of(heads_per_tile) < 2 * ctx.threads()) {
    heads_per_tile = (heads_per_tile + 1) / 2;
  }
  const int64_t head_chunks = chunks_of(heads_per_tile);
  const int64_t units_per_block = dims.n_head_kv * head_chunks;  // per block of tokens
  std::vector<int64_t> first_unit(n_tasks + 1, 0);
  for (size_t t = 0; t <= n_tasks; ++t) first_unit[t] = first_block[t] * units_per_block;
  const int64_t n_units = first_unit[n_tasks];
  if (n_units == 0) return;
  std::atomic<int64_t> next{0};
  ctx.run([&](int thread, int /*n_threads*/) {
    ScratchArena& arena = ctx.single_thread(thread).scratch();
    Scratch s;
    size_t task = 0;
    for (;;) {
      const int64_t u = next.fetch_add(1, std::memory_order_relaxed);
      if (u >= n_units) break;
      while (u >= first_unit[task + 1]) ++task;
      while (u < first_unit[task]) --task;
      const AttentionTask& tk = tasks[task];
      const int64_t local = u - first_unit[task];
      const int64_t block = local / units_per_block;
      const int64_t kv_head = (local % units_per_block) / head_chunks;
      const int64_t chunk = local % head_chunks;
      QueryTile tile;
      tile.task = &tk;
      tile.t0 = block * tokens_per_tile;
      tile.n_tok = std::min(tokens_per_tile, tk.n_tokens - tile.t0);
      tile.kv_head = kv_head;
      tile.h0 = kv_head * group + chunk * heads_per_tile;
      tile.n_heads = std::min(heads_per_tile, group - chunk * heads_per_tile);
      switch (isa) {
        case Isa::kScalar:
          attend_tile_scalar(dims, kv, tile, s);
          break;
        case Isa::kAvx2:
        case Isa::kAvxVnni:
          attention_detail::attend_tile_avx2(dims, kv, tile, arena);
          break;
        case Isa::kAvx512:
        case Isa::kAvx512Vnni:
          attention_detail::attend_tile_avx512(dims, kv, tile, arena);
          break;
      }
    }
  });
}

}  // namespace dsinfer::kernels
