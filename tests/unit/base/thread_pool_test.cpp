// Tests of the persistent thread pool (coverage, exceptions, blocking idle).
#include "base/thread_pool.h"

#include <time.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/error.h"

namespace dsinfer {
namespace {

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

TEST(ThreadPool, RunCallsEveryThreadOnce) {
  for (int n : {1, 2, 3, 8}) {
    ThreadPool pool(n);
    EXPECT_EQ(pool.size(), n);
    for (int rep = 0; rep < 50; ++rep) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.run([&](int t, int total) {
        EXPECT_EQ(total, n);
        hits[static_cast<size_t>(t)].fetch_add(1);
      });
      for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
  }
}

TEST(ThreadPool, CallerIsThreadZero) {
  ThreadPool pool(3);
  const auto caller = std::this_thread::get_id();
  std::thread::id seen;
  pool.run([&](int t, int) {
    if (t == 0) seen = std::this_thread::get_id();
  });
  EXPECT_EQ(seen, caller);
}

TEST(ThreadPool, ParallelForCoversRangeOnceInGrainMultiples) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 5, 16, 17, 1000}) {
      for (int64_t grain : {1, 4, 16}) {
        std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
        pool.parallel_for(n, grain, [&](int64_t b, int64_t e, int t) {
          EXPECT_LT(t, threads);
          EXPECT_EQ(b % grain, 0);
          EXPECT_TRUE(e == n || e % grain == 0);
          for (int64_t i = b; i < e; ++i) seen[static_cast<size_t>(i)].fetch_add(1);
        });
        for (auto& s : seen) EXPECT_EQ(s.load(), 1);
      }
    }
  }
}

TEST(ThreadPool, ExceptionFromWorkerIsRethrownAndPoolStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.run([](int t, int) {
    if (t == 2) throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_THROW(pool.run([](int t, int) {
    if (t == 0) throw std::runtime_error("boom");
  }),
               std::runtime_error);
  std::atomic<int> count{0};
  pool.run([&](int, int) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 3);
}

TEST(ThreadPool, RejectsBadThreadCount) {
  EXPECT_THROW(ThreadPool(0), Error);
  EXPECT_THROW(ThreadPool(-3), Error);
}

// Idle workers must block: after a burst of work, an idle pool of 4 uses (almost) no CPU.
TEST(ThreadPool, IdleWorkersDoNotSpin) {
  ThreadPool pool(4);
  std::atomic<int64_t> sink{0};
  for (int i = 0; i < 200; ++i) pool.run([&](int t, int) { sink.fetch_add(t); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the bounded spin end
  const double before = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const double used = process_cpu_seconds() - before;
  // Three spinning workers would burn ~1.2 CPU-seconds here.
  EXPECT_LT(used, 0.05) << "idle pool used " << used << " CPU-seconds in 0.4 s";
}

}  // namespace
}  // namespace dsinfer
