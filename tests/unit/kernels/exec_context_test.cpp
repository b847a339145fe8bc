// The CPU execution context: work spreads over the pool, one-thread views run inline on their own
// scratch, and the scratch arena hands out aligned stretches and settles into one chunk.
#include "kernels/exec_context.h"

#include <atomic>
#include <cstdint>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "base/error.h"

namespace dsinfer::kernels {
namespace {

TEST(ExecContext, PoolContextSpreadsAndViewsRunInline) {
  ThreadPool pool(3);
  ExecContext ctx(pool);
  EXPECT_EQ(ctx.device(), Device::kCpu);
  EXPECT_STREQ(device_name(ctx.device()), "cpu");
  EXPECT_EQ(ctx.threads(), 3);
  std::vector<int> hits(1000, 0);
  ctx.parallel_for(1000, 10, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
  });
  for (int h : hits) ASSERT_EQ(h, 1);

  std::set<const ExecContext*> views;
  std::atomic<int> inline_calls{0};
  ctx.run([&](int thread, int) {
    ExecContext& one = ctx.single_thread(thread);
    EXPECT_EQ(one.threads(), 1);
    EXPECT_EQ(&one.single_thread(0), &one);  // a view of a view is itself
    one.parallel_for(50, 1, [&](int64_t b, int64_t e, int t) {
      EXPECT_EQ(b, 0);
      EXPECT_EQ(e, 50);
      EXPECT_EQ(t, 0);
      ++inline_calls;
    });
    one.run([&](int t, int n) {
      EXPECT_EQ(t, 0);
      EXPECT_EQ(n, 1);
    });
  });
  EXPECT_EQ(inline_calls.load(), 3);
  for (int t = 0; t < 3; ++t) views.insert(&ctx.single_thread(t));
  EXPECT_EQ(views.size(), 3u);  // one view (and scratch) per thread
  EXPECT_NE(&ctx.single_thread(0).scratch(), &ctx.single_thread(1).scratch());
  EXPECT_THROW(ctx.single_thread(3), Error);
  EXPECT_THROW(ctx.single_thread(-1), Error);
}

TEST(ScratchArena, AlignedStretchesAndOneChunkAfterReset) {
  ScratchArena a;
  uint8_t* p = a.take(10);
  uint8_t* q = a.take(100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 64, 0u);
  uint8_t* big = a.take(1 << 20);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big) % 64, 0u);
  const size_t before = a.capacity();
  a.reset();
  EXPECT_EQ(a.capacity(), before);  // merged into one chunk of the same size
  uint8_t* r0 = a.take(10);
  EXPECT_EQ(a.take(100), r0 + 64);  // consecutive, rounded up to 64
  a.take(1 << 20);
  EXPECT_EQ(a.capacity(), before);  // the same demand again allocates nothing
  a.reset();
  EXPECT_EQ(a.take(10), r0);
}

TEST(ExecContext, AllocatesAlignedBuffersOnItsDevice) {
  ThreadPool pool(1);
  ExecContext ctx(pool);
  const Buffer b = ctx.allocate(1000, "test buffer");
  EXPECT_EQ(b.device(), ctx.device());
  EXPECT_EQ(b.bytes(), 1000u);
  ASSERT_NE(b.as<uint8_t>(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.as<uint8_t>()) % 64, 0u);
  b.as<uint8_t>()[999] = 1;  // the whole size is usable
  const Buffer none;
  EXPECT_EQ(none.bytes(), 0u);
  EXPECT_EQ(none.as<float>(), nullptr);
}

TEST(DeviceArray, GrowsOnlyWhenAskedForMore) {
  ThreadPool pool(1);
  ExecContext ctx(pool);
  DeviceArray<float> a;
  EXPECT_EQ(a.size(), 0);
  a.reserve(ctx, 100, "a");
  EXPECT_EQ(a.size(), 100);
  EXPECT_EQ(a.device(), Device::kCpu);
  float* first = a.data();
  a.reserve(ctx, 50, "a");  // smaller: the same memory
  EXPECT_EQ(a.data(), first);
  EXPECT_EQ(a.size(), 100);
  a.reserve(ctx, 1000, "a");
  EXPECT_EQ(a.size(), 1000);
  a.data()[999] = 1.0f;
}

}  // namespace
}  // namespace dsinfer::kernels
