// Owner of a model's repacked weights: swaps a bound WeightView for a copy in the layout the
// matmul kernels read fastest (kernels/weight_pack.h) and hands the original file pages back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/huge_pages.h"
#include "kernels/exec_context.h"
#include "kernels/weight_pack.h"

namespace dsinfer::model {

class WeightRepacker {
 public:
  // enabled = false makes repack() a no-op (weights are used in place). release_pages: the
  // weights live in a read-only file mapping whose pages may be dropped once copied.
  WeightRepacker(bool enabled, bool release_pages, kernels::ExecContext& ctx)
      : enabled_(enabled), release_pages_(release_pages), ctx_(ctx) {}

  // Replaces `w` by a packed copy when the kernels have a packed layout for it (Q4_K, Q6_K, Q8_0
  // with whole groups of 8 rows); otherwise leaves it unchanged. With release_pages the original
  // bytes' pages are dropped from this process (re-read from the file if something else reads
  // them, e.g. embedding rows of a tied output matrix), so resident memory stays ~ the file size.
  void repack(kernels::WeightView& w);

  size_t packed_bytes() const { return bytes_; }
  size_t packed_count() const { return count_; }

 private:
  // NOTE: the packed copies are carved one after the other out of chunks of >= 256 MiB on huge
  // pages (base/huge_pages.h), not allocated one by one: most are smaller than a huge page (a
  // DeepSeek-V2-Lite expert's gate is 1.6 MiB) and would get none. A chunk's unused tail costs
  // address space only, but for the huge page its last copy ends in (at most 2 MiB resident).
  uint8_t* take(size_t bytes);

  bool enabled_;
  bool release_pages_;
  kernels::ExecContext& ctx_;
  std::vector<HugeBuffer> chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_size_ = 0;
  size_t count_ = 0;
  size_t bytes_ = 0;
};

}  // namespace dsinfer::model
