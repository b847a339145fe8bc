// Scheduler: token budget per step, decode before prefill, chunked prefill, max-running,
// priority order, preemption of the newest when blocks run out.
#include "engine/scheduler.h"

#include <memory>

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

}  // namespace
}  // namespace dsinfer::engine
