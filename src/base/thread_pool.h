// Persistent worker pool for data-parallel kernels. Between back-to-back tasks a worker polls for
// at most 100 us, then blocks on a condition variable, so an idle process shows ~0 % CPU.
// Also: how many CPUs this process may use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

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

// CPUs this process may use: the affinity mask, capped by the cgroup v2/v1 CPU quota
// (cpu.max / cfs_quota_us, rounded up), at least 1. Reads /proc and /sys on every call.
int usable_cpu_count();

// Parses the contents of a cgroup v2 `cpu.max` file ("max 100000" or "150000 100000") into a
// CPU count (quota / period, not rounded); nullopt when unlimited or unparsable.
std::optional<double> parse_cgroup_v2_cpu_max(std::string_view contents);

// Parses cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` contents; nullopt when the quota
// is -1 (unlimited) or either is unparsable / non-positive.
std::optional<double> parse_cgroup_v1_cpu_quota(std::string_view quota_us,
                                                std::string_view period_us);

// Combines an affinity count with an optional quota: min(affinity, ceil(quota)), at least 1.
int cpu_count_from(int affinity_cpus, std::optional<double> quota_cpus);

}  // namespace dsinfer
