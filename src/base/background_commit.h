// Making long-lived memory resident without delaying start-up.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace dsinfer {

// Makes a range of anonymous memory resident on a background thread: transparent huge pages are
// requested for it (where the kernel offers them on request), then the kernel populates it 2 MiB
// at a time (MADV_POPULATE_WRITE, Linux >= 5.14; on older kernels nothing is populated). Nothing
// is written from user space and a page already present is left as it is, so other threads may
// use the memory meanwhile. The thread is detached (a process may exit without destroying the
// owner, e.g. at the end of a grace period) and owns its state; the destructor only asks it to
// stop. A madvise still in flight on a range just freed fails or populates pages nobody reads:
// harmless.
class BackgroundCommit {
 public:
  BackgroundCommit(void* data, size_t bytes);
  ~BackgroundCommit();
  BackgroundCommit(const BackgroundCommit&) = delete;
  BackgroundCommit& operator=(const BackgroundCommit&) = delete;

  // True once the whole range was populated (false while running, or if it stopped early or the
  // kernel cannot populate).
  bool done() const { return state_->done.load(std::memory_order_acquire); }

 private:
  struct State {
    std::atomic<bool> stop{false};
    std::atomic<bool> done{false};
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace dsinfer
