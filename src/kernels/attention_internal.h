// Internals shared by the attention dispatcher (attention.cpp) and its per-ISA tiled variants
// (attention_avx2.cpp, attention_avx512.cpp): one tile of query rows and the per-thread buffers.
// Not for use outside src/kernels/ and its tests.
#pragma once

#include <cstdint>

#include "kernels/attention.h"
#include "kernels/exec_context.h"

namespace dsinfer::kernels::attention_detail {

// Query rows of one KV head: tokens [t0, t0 + n_tok) of `task` times query heads
// [h0, h0 + n_heads) (all reading KV head kv_head). Row m = (token t0 + m / n_heads, head
// h0 + m % n_heads); it attends to positions [0, task->start_pos + t0 + m / n_heads].
struct QueryTile {
  const AttentionTask* task = nullptr;
  int64_t t0 = 0;
  int64_t n_tok = 0;
  int64_t h0 = 0;
  int64_t n_heads = 0;
  int64_t kv_head = 0;
};

// Most query rows per tile the variants are tuned for (register blocks of 1-2 vectors of rows).
constexpr int64_t kTileRows = 64;

// Computes the tile's outputs (tile.task->out rows). `scratch` is the calling thread's arena:
// reset and used for the tile's buffers (queries, a converted K/V panel, scores).
void attend_tile_avx2(const AttentionDims& d, const PagedKv& kv, const QueryTile& tile,
                      ScratchArena& scratch);
void attend_tile_avx512(const AttentionDims& d, const PagedKv& kv, const QueryTile& tile,
                        ScratchArena& scratch);

}  // namespace dsinfer::kernels::attention_detail
