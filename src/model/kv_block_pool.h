// The paged KV storage: a pool of fixed-size blocks (kv_block_size tokens each) holding, per layer
// and token, one K row and one V row in F16. Which blocks a sequence uses is the engine's policy;
// sequences name them in their block tables. MLA (deepseek2) stores its compressed latent plus the
// RoPE key as the "K" row and has no V row (v_row_elems = 0).
#pragma once

#include <cstdint>
#include <memory>

#include "base/background_commit.h"

#include "kernels/attention.h"
#include "kernels/exec_context.h"

namespace dsinfer::model {

class KvBlockPool {
 public:
  // Allocates n_blocks blocks of block_size tokens for n_layers layers, K rows of k_row_elems
  // and V rows of v_row_elems halves, in `ctx`'s memory (ExecContext::allocate). Host memory is
  // made resident in the background (BackgroundCommit): start-up is not delayed, and resident
  // memory is flat once it is done rather than creeping up as blocks are first used. Throws
  // Error(kInvalidInput) for non-positive sizes, Error(kUnavailable) if allocation fails.
  KvBlockPool(kernels::ExecContext& ctx, int64_t n_layers, int64_t n_blocks, int64_t block_size,
              int64_t k_row_elems, int64_t v_row_elems);

  int64_t n_layers() const { return n_layers_; }
  int64_t n_blocks() const { return n_blocks_; }
  int64_t block_size() const { return block_size_; }
  int64_t k_row_elems() const { return k_row_elems_; }
  int64_t v_row_elems() const { return v_row_elems_; }
  // Bytes stored per token over all layers; total bytes of the pool.
  int64_t bytes_per_token() const {
    return bytes_per_token_for(n_layers_, k_row_elems_, v_row_elems_);
  }
  // What a pool of these row sizes stores per token (for sizing before it exists).
  static int64_t bytes_per_token_for(int64_t n_layers, int64_t k_row_elems, int64_t v_row_elems) {
    return n_layers * (k_row_elems + v_row_elems) * 2;
  }
  int64_t total_bytes() const { return bytes_per_token() * n_blocks_ * block_size_; }
  kernels::Device device() const { return storage_.device(); }

  // Row of slot `slot` (< block_size) of block `block` (< n_blocks) in layer `layer`. Unchecked.
  uint16_t* k_row(int64_t layer, int64_t block, int64_t slot) {
    return k_ + ((layer * n_blocks_ + block) * block_size_ + slot) * k_row_elems_;
  }
  uint16_t* v_row(int64_t layer, int64_t block, int64_t slot) {
    return v_ + ((layer * n_blocks_ + block) * block_size_ + slot) * v_row_elems_;
  }

  // The attention kernel's view of one layer.
  kernels::PagedKv layer_view(int64_t layer) const;

 private:
  int64_t n_layers_;
  int64_t n_blocks_;
  int64_t block_size_;
  int64_t k_row_elems_;
  int64_t v_row_elems_;
  kernels::Buffer storage_;
  std::unique_ptr<BackgroundCommit> commit_;  // declared after storage_: asked to stop first
  uint16_t* k_ = nullptr;
  uint16_t* v_ = nullptr;
};

}  // namespace dsinfer::model
