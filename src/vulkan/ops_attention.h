// Attention over the paged KV cache in device memory: storing new K/V rows (F16) and causal
// GQA / MLA-latent attention, as kernels::attention_paged on the CPU.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/attention.h"
#include "vulkan/command_recorder.h"

namespace dsinfer::vulkan {

// One layer's K and V pools (F16 elements), addressed like kernels::PagedKv: the K row of
// position p of a sequence with block table bt starts at element
//   bt[p / block_size] * k_block_stride + (p % block_size) * k_row_stride   of k.
// For MLA, v is the same slice as k (V = the first head_dim_v elements of each latent row).
struct DeviceKv {
  BufferSlice k;
  BufferSlice v;
  int64_t block_size = 0;
  int64_t k_block_stride = 0;
  int64_t v_block_stride = 0;
  int64_t k_row_stride = 0;
  int64_t v_row_stride = 0;
};

// Element offset of the row of position `pos` in a pool with these strides.
inline int64_t kv_row_offset(std::span<const int32_t> block_table, int64_t pos, int64_t block_size,
                             int64_t block_stride, int64_t row_stride) {
  return block_table[static_cast<size_t>(pos / block_size)] * block_stride +
         (pos % block_size) * row_stride;
}

// Writes row t of src (width floats, t < n_tokens) as F16 at element dst_rows[t] of pool.
// dst_rows has n_tokens entries (kv_row_offset), each row must fit inside pool.
void kv_store(CommandRecorder& rec, const FloatRows& src, int64_t n_tokens, int64_t width,
              const BufferSlice& pool, std::span<const int64_t> dst_rows);

// Consecutive tokens of one sequence: q/out rows row0 .. row0 + n_tokens - 1 of the batch;
// token i is at position start_pos + i and attends to [0, start_pos + i].
struct DeviceAttentionTask {
  int64_t row0 = 0;
  int64_t n_tokens = 0;
  int64_t start_pos = 0;
  std::span<const int32_t> block_table;  // covers positions [0, start_pos + n_tokens)
};

// out[row] = attention of q[row] over the cached K/V of its sequence, for every row named by a
// task (rows of no task get zeros). q: [n_rows, n_head * head_dim_k], out: [n_rows, n_head *
// head_dim_v]. Limits: head_dim_k <= 1024, head_dim_v <= 512 (Error(kUnsupported) beyond).
// Numerics follow kernels::attention_paged (q and probabilities rounded to F16).
void attention_paged(CommandRecorder& rec, const kernels::AttentionDims& dims, const DeviceKv& kv,
                     const FloatRows& q, const FloatRows& out, int64_t n_rows,
                     std::span<const DeviceAttentionTask> tasks);

}  // namespace dsinfer::vulkan
