// KV block pool storage.
#include "model/kv_block_pool.h"

#include <string>

#include <fmt/format.h>

#include "base/error.h"

namespace dsinfer::model {

KvBlockPool::KvBlockPool(kernels::ExecContext& ctx, int64_t n_layers, int64_t n_blocks,
                         int64_t block_size, int64_t k_row_elems, int64_t v_row_elems)
    : n_layers_(n_layers),
      n_blocks_(n_blocks),
      block_size_(block_size),
      k_row_elems_(k_row_elems),
      v_row_elems_(v_row_elems) {
  if (n_layers <= 0 || n_blocks <= 0 || block_size <= 0 || k_row_elems <= 0 || v_row_elems < 0) {
    fail(ErrorKind::kInvalidInput,
         "KV pool: layers {}, blocks {}, block size {}, row sizes {}/{} must be positive", n_layers,
         n_blocks, block_size, k_row_elems, v_row_elems);
  }
  const int64_t k_elems = n_layers * n_blocks * block_size * k_row_elems;
  const int64_t v_elems = n_layers * n_blocks * block_size * v_row_elems;
  const std::string what = fmt::format("KV pool ({} blocks of {} tokens)", n_blocks, block_size);
  storage_ = ctx.allocate(static_cast<size_t>(k_elems + v_elems) * sizeof(uint16_t), what.c_str());
  if (storage_.device() == kernels::Device::kCpu) {
    commit_ = std::make_unique<BackgroundCommit>(storage_.as<uint8_t>(), storage_.bytes());
  }
  k_ = storage_.as<uint16_t>();
  v_ = k_ + k_elems;
}

kernels::PagedKv KvBlockPool::layer_view(int64_t layer) const {
  kernels::PagedKv view;
  view.block_size = block_size_;
  view.k = k_ + layer * n_blocks_ * block_size_ * k_row_elems_;
  view.v = v_ + layer * n_blocks_ * block_size_ * v_row_elems_;
  view.k_block_stride = block_size_ * k_row_elems_;
  view.v_block_stride = block_size_ * v_row_elems_;
  view.k_row_stride = k_row_elems_;
  view.v_row_stride = v_row_elems_;
  return view;
}

}  // namespace dsinfer::model
