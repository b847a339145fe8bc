// Making long-lived memory resident without delaying start-up.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>

namespace dsinfer {

// Makes a range of anonymous memory resident on a background thread: transparent huge pages are
// requested for it (where the kernel offers them on request), then the kernel populates it 2 MiB
// at a time (MADV_POPULATE_WRITE, Linux >= 5.14; on older kernels nothing is populated). Nothing
// is written from user space and a page already present is left as it is, so other threads may
// use the memory meanwhile. The destructor stops early and joins; the range must outlive it.
class BackgroundCommit {
 public:
  BackgroundCommit(void* data, size_t bytes);
  ~BackgroundCommit();
  BackgroundCommit(const BackgroundCommit&) = delete;
  BackgroundCommit& operator=(const BackgroundCommit&) = delete;

  // True once the whole range was populated (false while running, or if it stopped early or the
  // kernel cannot populate).
  bool done() const { return done_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace dsinfer
