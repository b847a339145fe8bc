// Weight repacking at load time, into chunks on huge pages.
#include "model/weight_repack.h"

#include <algorithm>

namespace dsinfer::model {

namespace {

constexpr size_t kChunkBytes = size_t{256} << 20;
constexpr size_t kAlign = 64;  // a packed copy's start: a cache line

}  // namespace

uint8_t* WeightRepacker::take(size_t bytes) {
  const size_t start = (chunk_used_ + kAlign - 1) & ~(kAlign - 1);
  if (chunks_.empty() || start + bytes > chunk_size_) {
    chunk_size_ = std::max(kChunkBytes, (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1));
    chunks_.push_back(allocate_huge_backed(chunk_size_));
    chunk_used_ = bytes;
    return chunks_.back().get();
  }
  chunk_used_ = start + bytes;
  return chunks_.back().get() + start;
}

void WeightRepacker::repack(kernels::WeightView& w) {
  if (!enabled_ || !kernels::packable_rows8(w)) return;
  const size_t bytes = kernels::packed_rows8_bytes(w);
  w = kernels::pack_rows8_into(w, take(bytes), ctx_, release_pages_);
  ++count_;
  bytes_ += bytes;
}

}  // namespace dsinfer::model
