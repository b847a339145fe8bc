// Scheduler: token budget per step, decode before prefill, chunked prefill, max-running,
// priority order, preemption of the newest when blocks run out, waiting for a prefix in flight.
#include "engine/scheduler.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace dsinfer::engine {
namespace {

std::unique_ptr<Sequence> make_seq(RequestId id, int64_t n_prompt, int32_t priority = 0) {
  Request r;
  for (int64_t i = 0; i < n_prompt; ++i) r.prompt_tokens.push_back(static_cast<TokenId>(i % 50));
  r.priority = priority;
  auto s = std::make_unique<Sequence>(id, id, std::move(r), Sampler(SamplingParams{}, 1),
                                      EventSink([](Event&&) {}));
  s->max_tokens = 100;
  return s;
}

// Completes a step and appends one sampled token to every sequence that caught up.
void finish_step(Scheduler& sched, const StepPlan& plan) {
  sched.complete(plan);
  for (const auto& c : plan.chunks) {
    if (c.seq->caught_up()) c.seq->tokens.push_back(7);
  }
}

TEST(Scheduler, ChunkedPrefillWithinBudgetThenDecodeFirst) {
  KvBlockAllocator alloc(64, 16, false);
  Scheduler sched({/*max_batched_tokens=*/32, /*max_running=*/8}, alloc);
  auto a = make_seq(1, 50);
  auto b = make_seq(2, 10);
  sched.add(a.get());
  sched.add(b.get());
  auto plan = sched.schedule();
  ASSERT_EQ(plan.chunks.size(), 1u);  // a takes the whole budget
  EXPECT_EQ(plan.chunks[0].count, 32);
  finish_step(sched, plan);
  plan = sched.schedule();  // a's remaining 18, then b's 10
  ASSERT_EQ(plan.chunks.size(), 2u);
  EXPECT_EQ(plan.chunks[0].seq, a.get());
  EXPECT_EQ(plan.chunks[0].count, 18);
  EXPECT_EQ(plan.chunks[1].seq, b.get());
  EXPECT_EQ(plan.total_tokens, 28);
  finish_step(sched, plan);
  auto c = make_seq(3, 100);
  sched.add(c.get());
  plan = sched.schedule();  // decodes of a and b (1 each) come before c's prefill chunk
  ASSERT_EQ(plan.chunks.size(), 3u);
  EXPECT_EQ(plan.chunks[0].count, 1);
  EXPECT_EQ(plan.chunks[1].count, 1);
  EXPECT_EQ(plan.chunks[2].seq, c.get());
  EXPECT_EQ(plan.chunks[2].count, 30);
}

TEST(Scheduler, MaxRunningAndPriority) {
  KvBlockAllocator alloc(64, 16, false);
  Scheduler sched({512, 2}, alloc);
  auto low = make_seq(1, 10, 5);
  auto high = make_seq(2, 10, -1);
  auto mid = make_seq(3, 10, 0);
  sched.add(low.get());
  sched.add(high.get());
  sched.add(mid.get());
  auto plan = sched.schedule();
  ASSERT_EQ(plan.chunks.size(), 2u);
  EXPECT_EQ(plan.chunks[0].seq, high.get());
  EXPECT_EQ(plan.chunks[1].seq, mid.get());
  EXPECT_EQ(sched.waiting_count(), 1);
}

TEST(Scheduler, PreemptsNewestWhenBlocksRunOut) {
  KvBlockAllocator alloc(4, 4, false);  // 16 tokens in all
  Scheduler sched({512, 8}, alloc);
  auto a = make_seq(1, 8);
  auto b = make_seq(2, 8);
  sched.add(a.get());
  sched.add(b.get());
  auto plan = sched.schedule();
  ASSERT_EQ(plan.chunks.size(), 2u);  // 2 blocks each
  finish_step(sched, plan);           // both now 9 tokens: 2 full blocks + 1
  plan = sched.schedule();            // each needs a 3rd block: only b (newest) is preempted
  ASSERT_EQ(plan.chunks.size(), 1u);
  EXPECT_EQ(plan.chunks[0].seq, a.get());
  EXPECT_EQ(plan.preempted, 1);
  EXPECT_EQ(b->state, SequenceState::kWaiting);
  EXPECT_EQ(b->num_computed, 0);
  EXPECT_TRUE(b->block_table.empty());
  sched.remove(a.get());
  sched.remove(b.get());
  EXPECT_EQ(alloc.free_count(), 4);
}

std::unique_ptr<Sequence> seq_with_prompt(RequestId id, std::vector<TokenId> prompt) {
  Request r;
  r.prompt_tokens = std::move(prompt);
  auto s = std::make_unique<Sequence>(id, id, std::move(r), Sampler(SamplingParams{}, 1),
                                      EventSink([](Event&&) {}));
  s->max_tokens = 100;
  return s;
}

// `shared` tokens common to every prompt made with it, then `own` tokens of prompt `n`.
std::vector<TokenId> shared_then_own(int64_t shared, int64_t own, int n) {
  std::vector<TokenId> t;
  for (int64_t i = 0; i < shared; ++i) t.push_back(static_cast<TokenId>(i % 50));
  for (int64_t i = 0; i < own; ++i) t.push_back(static_cast<TokenId>(100 * (n + 1) + i % 50));
  return t;
}

TEST(Scheduler, WaitsAStepForAPrefixBeingComputedThenTakesItFromTheCache) {
  KvBlockAllocator alloc(64, 16, true);
  Scheduler sched({512, 8}, alloc);
  auto a = seq_with_prompt(1, shared_then_own(40, 10, 1));  // blocks 0-1 shared, block 2 its own
  auto b = seq_with_prompt(2, shared_then_own(40, 10, 2));
  sched.add(a.get());
  sched.add(b.get());
  auto plan = sched.schedule();
  ASSERT_EQ(plan.chunks.size(), 1u);  // b waits: a computes the 2 blocks b would compute too
  EXPECT_EQ(plan.chunks[0].seq, a.get());
  EXPECT_EQ(plan.deferred, 1);
  EXPECT_EQ(b->state, SequenceState::kWaiting);
  finish_step(sched, plan);
  plan = sched.schedule();  // a decodes; b finds the 32 shared tokens cached
  ASSERT_EQ(plan.chunks.size(), 2u);
  EXPECT_EQ(plan.chunks[1].seq, b.get());
  EXPECT_EQ(plan.chunks[1].start, 32);
  EXPECT_EQ(plan.chunks[1].count, 18);
  EXPECT_EQ(plan.cache_hit, 32);
  EXPECT_EQ(plan.deferred, 0);
  EXPECT_EQ(b->usage.cached_prompt_tokens, 32);
}

TEST(Scheduler, OnlyThoseWaitingForAPrefixAreOvertaken) {
  KvBlockAllocator alloc(64, 16, true);
  Scheduler sched({512, 8}, alloc);
  auto a = seq_with_prompt(1, shared_then_own(40, 10, 1));
  auto b = seq_with_prompt(2, shared_then_own(40, 10, 2));  // waits for a's blocks
  auto c = seq_with_prompt(3, shared_then_own(0, 50, 3));   // shares nothing: admitted past b
  auto d =
      seq_with_prompt(4, shared_then_own(10, 40, 4));  // shares less than a block with a: admitted
  for (auto* s : {a.get(), b.get(), c.get(), d.get()}) sched.add(s);
  const auto plan = sched.schedule();
  ASSERT_EQ(plan.chunks.size(), 3u);
  EXPECT_EQ(plan.chunks[0].seq, a.get());
  EXPECT_EQ(plan.chunks[1].seq, c.get());
  EXPECT_EQ(plan.chunks[2].seq, d.get());
  EXPECT_EQ(plan.deferred, 1);
}

TEST(Scheduler, NoWaitWithoutAPrefixCacheOrOnceThePrefixIsCached) {
  {
    KvBlockAllocator alloc(64, 16, false);
    Scheduler sched({512, 8}, alloc);
    auto a = seq_with_prompt(1, shared_then_own(40, 10, 1));
    auto b = seq_with_prompt(2, shared_then_own(40, 10, 2));
    sched.add(a.get());
    sched.add(b.get());
    EXPECT_EQ(sched.schedule().chunks.size(), 2u);  // nothing to gain: both computed at once
  }
  KvBlockAllocator alloc(64, 16, true);
  Scheduler sched({512, 8}, alloc);
  auto a = seq_with_prompt(1, shared_then_own(40, 10, 1));
  sched.add(a.get());
  auto plan = sched.schedule();
  finish_step(sched, plan);  // a's 3 full blocks are cached; a now decodes
  auto b = seq_with_prompt(2, shared_then_own(40, 10, 2));
  sched.add(b.get());
  plan = sched.schedule();  // b's first missing block (2) is its own: admitted at once
  ASSERT_EQ(plan.chunks.size(), 2u);
  EXPECT_EQ(plan.chunks[1].seq, b.get());
  EXPECT_EQ(plan.cache_hit, 32);
  EXPECT_EQ(plan.deferred, 0);
}

}  // namespace
}  // namespace dsinfer::engine
