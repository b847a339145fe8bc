// Step durations: the buckets' edges (a step of exactly a bound counts in that bound's bucket, as
// Prometheus' `le` means), and the engine counting each step once, as prefill or decode.
#include "engine/step_times.h"

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine_test_support.h"
#include "fake_model.h"

namespace dsinfer::engine::test {
namespace {

TEST(StepTimes, BoundsAreInclusiveAndTheLastBucketTakesTheRest) {
  StepTimes t;
  t.add(0.0);                              // first bucket
  t.add(StepTimes::kBounds[0]);            // exactly 1 ms: first bucket
  t.add(StepTimes::kBounds[3]);            // exactly the 4th bound: 4th bucket
  t.add(StepTimes::kBounds[3] + 1e-9);     // just above: 5th
  t.add(StepTimes::kBounds.back() + 1.0);  // above every bound
  EXPECT_EQ(t.counts[0], 2);
  EXPECT_EQ(t.counts[3], 1);
  EXPECT_EQ(t.counts[4], 1);
  EXPECT_EQ(t.counts.back(), 1);
  EXPECT_EQ(t.total(), 5);
  EXPECT_NEAR(
      t.sum_seconds,
      2 * StepTimes::kBounds[3] + 1e-9 + StepTimes::kBounds[0] + StepTimes::kBounds.back() + 1.0,
      1e-12);
}

TEST(StepTimes, EngineCountsEachStepOnceAsPrefillOrDecode) {
  constexpr int64_t kVocabSize = 61;
  FakeModel model(kVocabSize, 16, 64, 512);
  EngineConfig config;
  config.max_batched_tokens = 8;  // a 20-token prompt: 3 prefill chunks (8, 8, 4)
  Engine engine(model, nullptr, config, 256);
  const auto out = run_one(engine, greedy_request(make_prompt(20, 7, kVocabSize), 5));
  ASSERT_EQ(out.tokens.size(), 5u);
  const auto s = engine.stats();
  // The last prompt chunk samples the first token; each other token is one decode step.
  EXPECT_EQ(s.prefill_steps.total(), 3);
  EXPECT_EQ(s.decode_steps.total(), 4);
  EXPECT_EQ(s.prefill_steps.total() + s.decode_steps.total(), s.steps);
  EXPECT_GE(s.prefill_steps.sum_seconds, 0.0);
  EXPECT_GE(s.decode_steps.sum_seconds, 0.0);
}

}  // namespace
}  // namespace dsinfer::engine::test
