// BackgroundCommit: madvise(MADV_HUGEPAGE) at once, MADV_POPULATE_WRITE chunk by chunk on a thread.
#include "base/background_commit.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <thread>

namespace dsinfer {

BackgroundCommit::BackgroundCommit(void* data, size_t bytes) {
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (begin + page - 1) & ~(page - 1);  // madvise wants whole pages
  const uintptr_t last = (begin + bytes) & ~(page - 1);
  if (last <= first) {
    state_->done.store(true, std::memory_order_release);
    return;
  }
  // Before any page is touched, so the faults that follow can map huge pages. Best effort.
  ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  std::thread([state = state_, first, last] {
    constexpr uintptr_t kChunk = uintptr_t{1} << 21;  // one transparent huge page
    for (uintptr_t p = first; p < last; p += kChunk) {
      if (state->stop.load(std::memory_order_relaxed)) return;
      if (::madvise(reinterpret_cast<void*>(p), std::min(kChunk, last - p), MADV_POPULATE_WRITE) !=
          0) {
        return;  // an older kernel (EINVAL) or no memory left: pages fault in on use instead
      }
    }
    state->done.store(true, std::memory_order_release);
  }).detach();
}

BackgroundCommit::~BackgroundCommit() { state_->stop.store(true, std::memory_order_relaxed); }

}  // namespace dsinfer
