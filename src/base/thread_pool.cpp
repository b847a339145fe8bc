// Persistent worker pool (condition-variable wake-up after a short, time-bounded spin).
#include "base/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "base/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace dsinfer {

namespace {

// NOTE: after finishing a task, workers (and the caller waiting for them) poll for at most this
// long before blocking on the condition variable. Kernels are issued back to back during a
// forward pass, so the next task usually arrives within microseconds and the futex round trip
// is saved; the bound is wall-clock time, so an idle pool always ends up blocked (0 % CPU).
constexpr std::chrono::microseconds kSpinBound{100};
constexpr int kMaxThreads = 1024;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Polls `ready` until it returns true or kSpinBound elapsed; returns its last value.
template <typename Pred>
bool spin_until(Pred ready) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    if (ready()) return true;
    cpu_relax();
    if ((i & 31) == 31 && std::chrono::steady_clock::now() - start > kSpinBound) return ready();
  }
}

}  // namespace

struct ThreadPool::State {
  int n_threads = 1;
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable cv_work;
  std::condition_variable cv_done;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  std::atomic<bool> stop{false};
  const std::function<void(int, int)>* fn = nullptr;  // valid while a run() is in flight
  std::mutex error_mu;
  std::exception_ptr error;

  void record_error(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (!error) error = std::move(e);
  }

  void worker_loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      const bool woke = spin_until([&] {
        return stop.load(std::memory_order_acquire) ||
               generation.load(std::memory_order_acquire) != seen;
      });
      if (!woke) {
        std::unique_lock<std::mutex> lock(mu);
        cv_work.wait(lock, [&] {
          return stop.load(std::memory_order_acquire) ||
                 generation.load(std::memory_order_acquire) != seen;
        });
      }
      if (stop.load(std::memory_order_acquire)) return;
      seen = generation.load(std::memory_order_acquire);
      try {
        (*fn)(index, n_threads);
      } catch (const std::exception&) {
        record_error(std::current_exception());
      }
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu);
        cv_done.notify_one();
      }
    }
  }
};

ThreadPool::ThreadPool(int n_threads) : state_(std::make_unique<State>()) {
  if (n_threads < 1 || n_threads > kMaxThreads) {
    fail(ErrorKind::kInvalidInput, "thread count must be in 1..{}, got {}", kMaxThreads, n_threads);
  }
  state_->n_threads = n_threads;
  state_->workers.reserve(static_cast<size_t>(n_threads - 1));
  for (int i = 1; i < n_threads; ++i) {
    state_->workers.emplace_back([s = state_.get(), i] { s->worker_loop(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stop.store(true, std::memory_order_release);
  }
  state_->cv_work.notify_all();
  for (auto& t : state_->workers) t.join();
}

int ThreadPool::size() const { return state_->n_threads; }

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  State& s = *state_;
  if (s.n_threads == 1) {
    fn(0, 1);
    return;
  }
  s.fn = &fn;
  s.error = nullptr;
  s.pending.store(s.n_threads - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.generation.fetch_add(1, std::memory_order_release);
  }
  s.cv_work.notify_all();
  try {
    fn(0, s.n_threads);
  } catch (const std::exception&) {
    s.record_error(std::current_exception());
  }
  const auto all_done = [&] { return s.pending.load(std::memory_order_acquire) == 0; };
  if (!spin_until(all_done)) {
    std::unique_lock<std::mutex> lock(s.mu);
    s.cv_done.wait(lock, all_done);
  }
  s.fn = nullptr;
  if (s.error) {
    std::exception_ptr e = s.error;
    s.error = nullptr;
    std::rethrow_exception(e);
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain,
                              const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t n_chunks = (n + grain - 1) / grain;
  const int64_t n_used = std::min<int64_t>(n_chunks, size());
  if (n_used == 1) {
    fn(0, n, 0);
    return;
  }
  run([&](int thread, int) {
    if (thread >= n_used) return;
    const int64_t c0 = n_chunks * thread / n_used;
    const int64_t c1 = n_chunks * (thread + 1) / n_used;
    const int64_t begin = c0 * grain;
    const int64_t end = std::min(n, c1 * grain);
    if (begin < end) fn(begin, end, thread);
  });
}

}  // namespace dsinfer
