// Causal multi-head attention with grouped K/V heads (GQA) over a paged KV cache stored in F16:
// each sequence's keys/values live in fixed-size blocks named by its block table.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/exec_context.h"
#include "kernels/isa.h"

namespace dsinfer::kernels {

// One layer's K and V rows in a block pool (IEEE half, raw bits). The K row of the token at
// position p of a sequence with block table bt is
//   k + bt[p / block_size] * k_block_stride + (p % block_size) * k_row_stride
// (elements), and likewise for V. Within a row, head h occupies [h * head_dim, (h+1) * head_dim).
struct PagedKv {
  const uint16_t* k = nullptr;
  const uint16_t* v = nullptr;
  int64_t block_size = 0;
  int64_t k_block_stride = 0;
  int64_t v_block_stride = 0;
  int64_t k_row_stride = 0;
  int64_t v_row_stride = 0;
};

struct AttentionDims {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;  // divides n_head; query head h reads K/V head h / (n_head / n_head_kv)
  int64_t head_dim_k = 0;
  int64_t head_dim_v = 0;
  float scale = 1.0f;  // multiplies q.k (usually 1/sqrt(head_dim_k))
};

// A chunk of consecutive tokens of one sequence. Token t (0-based in the chunk) is at position
// start_pos + t and attends to positions [0, start_pos + t] (causal), whose K/V must already be
// stored in the pool.
struct AttentionTask {
  const float* q = nullptr;  // [n_tokens, n_head * head_dim_k], row stride ldq
  int64_t ldq = 0;
  float* out = nullptr;  // [n_tokens, n_head * head_dim_v], row stride ldo
  int64_t ldo = 0;
  int64_t n_tokens = 0;
  int64_t start_pos = 0;
  const int32_t* block_table = nullptr;  // covers positions [0, start_pos + n_tokens)
};

// NOTE: numerics follow the reference's non-flash path with an F16 cache: q is rounded to F16
// before q.k (the reference converts the activation to the cache type), scores are scaled and
// soft-maxed in float (sum in double), and the probabilities are rounded to F16 before the
// weighted sum of V (accumulated in float).
// Runs every (task, token, head) over `ctx`'s threads, in tiles of query rows (tokens x heads of a
// KV group; dynamic scheduling: causal tiles differ in cost). Uses each thread's scratch arena
// (ExecContext::scratch of its one-thread view). `isa` must be available on this CPU.
void attention_paged(const AttentionDims& dims, const PagedKv& kv, const AttentionTask* tasks,
                     size_t n_tasks, ExecContext& ctx, Isa isa);
inline void attention_paged(const AttentionDims& dims, const PagedKv& kv,
                            const AttentionTask* tasks, size_t n_tasks, ExecContext& ctx) {
  attention_paged(dims, kv, tasks, n_tasks, ctx, selected_isa());
}

}  // namespace dsinfer::kernels
