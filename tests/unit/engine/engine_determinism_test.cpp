// Greedy outputs do not depend on scheduling: alone vs interleaved with 1, 7, 31 others, any
// step token budget, prefix cache on/off, and with preemption / recompute (fake model).
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/request_stream.h"
#include "engine_test_support.h"
#include "fake_model.h"

namespace dsinfer::engine::test {
namespace {

constexpr int64_t kDeterminismVocab = 97;
constexpr int64_t kBlock = 16;

struct MixSetup {
  int64_t n_blocks = 1024;
  int64_t budget = 512;
  int64_t max_running = 64;
  bool prefix_cache = true;
};

// Runs the target request (prompt salt 0) together with `n_others` requests of different lengths
// and returns the target's tokens; also checks every request ran to its length and all blocks
// came back.
std::vector<TokenId> run_mix(const MixSetup& s, int n_others, int64_t* preemptions = nullptr) {
  FakeModel model(kDeterminismVocab, kBlock, s.n_blocks, 1024);
  EngineConfig cfg;
  cfg.max_batched_tokens = s.budget;
  cfg.max_running = s.max_running;
  cfg.prefix_cache = s.prefix_cache;
  cfg.max_waiting = 1000;
  Engine engine(model, nullptr, cfg, 512);
  std::vector<std::unique_ptr<RequestStream>> streams;
  std::vector<int64_t> lengths;
  for (int i = 0; i <= n_others; ++i) {
    // Others share a prefix with the target every third request (exercises the prefix cache).
    auto prompt = make_prompt(20 + (i * 37) % 150, static_cast<uint64_t>(i % 3 == 0 ? 0 : i),
                              kDeterminismVocab);
    if (i % 3 == 0 && i > 0) {
      auto tail = make_prompt(5 + i, 1000 + static_cast<uint64_t>(i), kDeterminismVocab);
      prompt.insert(prompt.end(), tail.begin(), tail.end());
    }
    const int64_t max_tokens = i == 0 ? 40 : 5 + (i * 13) % 60;
    streams.push_back(std::make_unique<RequestStream>());
    engine.submit(greedy_request(prompt, max_tokens), streams.back()->sink());
    lengths.push_back(max_tokens);
  }
  std::vector<TokenId> target;
  for (size_t i = 0; i < streams.size(); ++i) {
    auto out = collect(*streams[i]);
    EXPECT_EQ(out.last.type, EventType::kFinished) << out.last.error_message;
    EXPECT_EQ(out.last.finish_reason, FinishReason::kLength);
    EXPECT_EQ(static_cast<int64_t>(out.tokens.size()), lengths[i]);
    if (i == 0) target = out.tokens;
  }
  const auto st = engine.stats();
  EXPECT_EQ(st.kv_blocks_used, 0);
  EXPECT_EQ(st.kv_blocks_free, st.kv_blocks_total);
  EXPECT_EQ(st.running + st.waiting, 0);
  if (preemptions) *preemptions = st.preemptions;
  return target;
}

TEST(EngineDeterminism, GreedySameAloneAndInterleaved) {
  const auto alone = run_mix(MixSetup{}, 0);
  ASSERT_EQ(alone.size(), 40u);
  for (int others : {1, 7, 31}) {
    for (int64_t budget : {1, 7, 64, 512}) {
      for (bool cache : {true, false}) {
        MixSetup s;
        s.budget = budget;
        s.prefix_cache = cache;
        EXPECT_EQ(run_mix(s, others), alone)
            << "others " << others << " budget " << budget << " prefix cache " << cache;
      }
    }
  }
}

TEST(EngineDeterminism, GreedySameAfterPreemption) {
  const auto alone = run_mix(MixSetup{}, 0);
  for (bool cache : {true, false}) {
    MixSetup s;
    s.n_blocks = 32;  // 512 tokens: far less than 31 sequences need at once
    s.budget = 64;
    s.prefix_cache = cache;
    int64_t preemptions = 0;
    EXPECT_EQ(run_mix(s, 31, &preemptions), alone) << "prefix cache " << cache;
    EXPECT_GT(preemptions, 0) << "the pool was meant to run out";
  }
}

}  // namespace
}  // namespace dsinfer::engine::test
