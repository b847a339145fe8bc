// Persistent worker pool for data-parallel kernels. Between back-to-back tasks a worker polls for
// at most 100 us, then blocks on a condition variable, so an idle process shows ~0 % CPU.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace dsinfer {

class ThreadPool {
 public:
  // `n_threads` >= 1 counts the calling thread: n_threads - 1 workers are started.
  // Throws Error(kInvalidInput) when n_threads < 1 or absurdly large (> 1024).
  explicit ThreadPool(int n_threads);
  // Joins the workers (they finish nothing more: the pool is idle between run() calls).
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;

  // Runs fn(thread_index, n_threads) once on each of the size() threads (the caller is thread 0)
  // and returns when all have finished. Not re-entrant; call from one thread at a time.
  // An exception thrown by fn on any thread is rethrown here (the first one) after all finished.
  void run(const std::function<void(int thread, int n_threads)>& fn);

  // Splits [0, n) into contiguous chunks (multiples of `grain`) over the threads:
  // fn(begin, end, thread). Threads without work are not called; n <= 0 calls nothing.
  void parallel_for(int64_t n, int64_t grain,
                    const std::function<void(int64_t begin, int64_t end, int thread)>& fn);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dsinfer
