// KV store and paged attention dispatch: per-row tables built on the host and staged.
#include "vulkan/ops_attention.h"

#include <vector>

#include "base/error.h"
#include "vulkan/op_args.h"

namespace dsinfer::vulkan {

void kv_store(CommandRecorder& rec, const FloatRows& src, int64_t n_tokens, int64_t width,
              const BufferSlice& pool, std::span<const int64_t> dst_rows) {
  check_rows(src, n_tokens, width, "kv_store src");
  if (static_cast<int64_t>(dst_rows.size()) != n_tokens) {
    fail(ErrorKind::kInternal, "Vulkan kv_store: {} destinations for {} tokens", dst_rows.size(),
         n_tokens);
  }
  if (n_tokens == 0 || width == 0) return;
  std::vector<uint32_t> rows(dst_rows.size());
  const int64_t pool_elems = static_cast<int64_t>(pool.bytes / sizeof(uint16_t));
  for (size_t t = 0; t < rows.size(); ++t) {
    if (dst_rows[t] < 0 || dst_rows[t] + width > pool_elems) {
      fail(ErrorKind::kInternal, "Vulkan kv_store: row at element {} outside a pool of {}",
           dst_rows[t], pool_elems);
    }
    rows[t] = u32(dst_rows[t], "kv row");
  }
  const BufferSlice dst = rec.stage(rows.data(), rows.size() * sizeof(uint32_t));
  struct {
    uint32_t width, n_tokens, lds, src_off;
  } p{u32(width, "width"), u32(n_tokens, "tokens"), u32(n_tokens > 1 ? src.ld : width, "lds"),
      u32(src.offset, "src offset")};
  const auto& pipe = rec.pipelines().get("kv_store", 3, sizeof(p));
  rec.dispatch(pipe, {src.slice, pool, dst}, &p, sizeof(p), groups(width, 256),
               u32(n_tokens, "tokens"));
}

void attention_paged(CommandRecorder& rec, const kernels::AttentionDims& dims, const DeviceKv& kv,
                     const FloatRows& q, const FloatRows& out, int64_t n_rows,
                     std::span<const DeviceAttentionTask> tasks) {
  if (dims.n_head <= 0 || dims.n_head_kv <= 0 || dims.n_head % dims.n_head_kv != 0 ||
      dims.head_dim_k <= 0 || dims.head_dim_v <= 0 || kv.block_size <= 0) {
    fail(ErrorKind::kInternal, "Vulkan attention: bad dimensions");
  }
  if (dims.head_dim_k > 1024 || dims.head_dim_v > 512) {
    fail(ErrorKind::kUnsupported,
         "Vulkan attention supports head sizes up to 1024 (K) and 512 (V), not {} and {}",
         dims.head_dim_k, dims.head_dim_v);
  }
  check_rows(q, n_rows, dims.n_head * dims.head_dim_k, "attention q");
  check_rows(out, n_rows, dims.n_head * dims.head_dim_v, "attention out");
  if (n_rows == 0) return;
  // Per row: context length and the offset of its sequence's block table in `tables`.
  std::vector<uint32_t> rows(static_cast<size_t>(2 * n_rows), 0);
  std::vector<int32_t> tables;
  for (const auto& task : tasks) {
    const int64_t n_ctx = task.start_pos + task.n_tokens;
    const int64_t n_blocks = (n_ctx + kv.block_size - 1) / kv.block_size;
    if (task.row0 < 0 || task.n_tokens < 0 || task.row0 + task.n_tokens > n_rows ||
        task.start_pos < 0 || static_cast<int64_t>(task.block_table.size()) < n_blocks) {
      fail(ErrorKind::kInternal,
           "Vulkan attention: task rows [{}, +{}) of {} or block table {} "
           "short of {} blocks",
           task.row0, task.n_tokens, n_rows, task.block_table.size(), n_blocks);
    }
    for (int64_t b = 0; b < n_blocks; ++b) {
      const int64_t id = task.block_table[static_cast<size_t>(b)];
      const auto k_end = static_cast<uint64_t>((id + 1) * kv.k_block_stride) * sizeof(uint16_t);
      const auto v_end = static_cast<uint64_t>((id + 1) * kv.v_block_stride) * sizeof(uint16_t);
      if (id < 0 || k_end > kv.k.bytes || v_end > kv.v.bytes) {
        fail(ErrorKind::kInternal, "Vulkan attention: block {} outside the KV pool", id);
      }
    }
    const uint32_t table_off = u32(static_cast<int64_t>(tables.size()), "block tables");
    tables.insert(tables.end(), task.block_table.begin(), task.block_table.begin() + n_blocks);
    for (int64_t i = 0; i < task.n_tokens; ++i) {
      rows[static_cast<size_t>(2 * (task.row0 + i))] = u32(task.start_pos + i + 1, "context");
      rows[static_cast<size_t>(2 * (task.row0 + i) + 1)] = table_off;
    }
  }
  if (tables.empty()) tables.push_back(0);
  const BufferSlice row_info = rec.stage(rows.data(), rows.size() * sizeof(uint32_t));
  const BufferSlice bt = rec.stage(tables.data(), tables.size() * sizeof(int32_t));
  struct {
    uint32_t n_head, n_head_kv, dk, dv, ldq, ldo, block_size, k_block_stride, v_block_stride,
        k_row_stride, v_row_stride;
    float scale;
    uint32_t q_off, o_off;
  } p{u32(dims.n_head, "heads"),
      u32(dims.n_head_kv, "kv heads"),
      u32(dims.head_dim_k, "dk"),
      u32(dims.head_dim_v, "dv"),
      u32(q.ld, "ldq"),
      u32(out.ld, "ldo"),
      u32(kv.block_size, "block size"),
      u32(kv.k_block_stride, "k block stride"),
      u32(kv.v_block_stride, "v block stride"),
      u32(kv.k_row_stride, "k row stride"),
      u32(kv.v_row_stride, "v row stride"),
      dims.scale,
      u32(q.offset, "q offset"),
      u32(out.offset, "out offset")};
  const auto& pipe = rec.pipelines().get("attention_paged", 6, sizeof(p));
  rec.dispatch(pipe, {q.slice, kv.k, kv.v, row_info, bt, out.slice}, &p, sizeof(p),
               u32(dims.n_head, "heads"), u32(n_rows, "rows"));
}

}  // namespace dsinfer::vulkan
