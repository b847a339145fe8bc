// Persistent worker pool for data-parallel kernels. Idle workers block on a condition variable
// (never spin), so an idle process shows ~0 % CPU.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace dsinfer {

class ThreadPool {
 public:
  // `n_threads` >= 1 counts the calling thread: n_threads - 1 workers are started.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;

  // Runs fn(thread_index, n_threads) once on each of the size() threads (the caller is thread 0)
  // and returns when all have finished. Not re-entrant; call from one thread at a time.
  void run(const std::function<void(int thread, int n_threads)>& fn);

  // Splits [0, n) into contiguous chunks (multiples of `grain`) over the threads:
  // fn(begin, end, thread).
  void parallel_for(int64_t n, int64_t grain,
                    const std::function<void(int64_t begin, int64_t end, int thread)>& fn);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// CPUs this process may use: the affinity mask, capped by the cgroup v2/v1 CPU quota
// (cpu.max / cfs_quota_us, rounded up), at least 1.
int usable_cpu_count();

}  // namespace dsinfer
