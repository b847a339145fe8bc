// The engine thread never dies: exceptions inside a step (a throwing forward pass, bad_alloc,
// NaN logits, a sampled token the tokenizer cannot decode) fail the affected requests with a
// 500-class error and the engine keeps serving; the sampler is defined for NaN/inf logits.
#include <cmath>
#include <limits>
#include <new>
#include <stdexcept>

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/request_stream.h"
#include "engine_test_support.h"
#include "fake_model.h"

namespace dsinfer::engine::test {
namespace {

constexpr int64_t kRecoveryVocab = 50;

EngineConfig recovery_config() {
  EngineConfig c;
  c.max_batched_tokens = 256;
  c.max_waiting = 100;
  return c;
}

void expect_internal_error(const Outcome& o, const std::string& what) {
  EXPECT_EQ(o.last.type, EventType::kError);
  EXPECT_EQ(o.last.error_kind, ErrorKind::kInternal);
  EXPECT_NE(o.last.error_message.find(what), std::string::npos) << o.last.error_message;
}

void expect_healthy(Engine& engine) {
  const auto ok = run_one(engine, greedy_request(make_prompt(20, 9, kRecoveryVocab), 5));
  EXPECT_EQ(ok.last.type, EventType::kFinished);
  EXPECT_EQ(ok.tokens.size(), 5u);
  const auto st = engine.stats();
  EXPECT_EQ(st.kv_blocks_used, 0);
  EXPECT_EQ(st.running + st.waiting, 0);
}

TEST(EngineRecovery, ForwardThrowingAnyExceptionFailsTheBatchOnly) {
  for (int kind = 0; kind < 3; ++kind) {
    FakeModel model(kRecoveryVocab, 8, 64, 512);
    std::atomic<int> throws{1};
    model.on_forward = [&](const model::Batch&) {
      if (throws.fetch_sub(1) > 0) {
        if (kind == 0) throw std::bad_alloc();
        if (kind == 1) throw std::logic_error("kernel bug");
        throw 42;  // not even a std::exception
      }
    };
    Engine engine(model, nullptr, recovery_config(), 256);
    const auto failed = run_one(engine, greedy_request(make_prompt(20, 1, kRecoveryVocab), 5));
    expect_internal_error(failed, "forward pass failed");
    expect_healthy(engine);
  }
}

TEST(EngineRecovery, NanLogitsFailOnlyThatRequest) {
  FakeModel model(kRecoveryVocab, 8, 64, 512);
  std::atomic<int> poison{1};
  model.on_logits = [&](model::Logits& logits) {
    if (poison.fetch_sub(1) > 0) {
      for (float& l : logits.data) l = std::numeric_limits<float>::quiet_NaN();
    }
  };
  Engine engine(model, nullptr, recovery_config(), 256);
  expect_internal_error(run_one(engine, greedy_request(make_prompt(20, 1, kRecoveryVocab), 5)),
                        "no finite value");
  expect_healthy(engine);
}

TEST(EngineRecovery, UndecodableTokenFailsOnlyThatRequest) {
  FakeModel model(kRecoveryVocab, 8, 64, 512);
  constexpr TokenId kBad = 33;
  model.on_logits = [&](model::Logits& logits) {  // kBad wins every row
    for (size_t r = 0; r * kRecoveryVocab < logits.data.size(); ++r)
      logits.data[r * kRecoveryVocab + kBad] = 1e6f;
  };
  Engine engine(model, std::make_shared<FakeCodec>(-1, kBad), recovery_config(), 256);
  expect_internal_error(run_one(engine, greedy_request(make_prompt(20, 1, kRecoveryVocab), 5)),
                        "cannot decode");
  model.on_logits = nullptr;  // set before the next submit; the engine thread is idle
  expect_healthy(engine);
}

std::vector<float> row(std::initializer_list<float> values) { return values; }

TEST(SamplerNonFinite, NanIsNeverPickedAndInfWins) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (float temperature : {0.0f, 0.7f}) {
    SamplingParams p;
    p.temperature = temperature;
    p.top_k = temperature > 0 ? 2 : 0;
    Sampler s(p, 7);
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(s.sample(row({nan, 1.0f, nan, 0.5f})) % 2, 1);  // 1 or 3, never a NaN
      const TokenId t = s.sample(row({0.0f, inf, 3.0f, inf, nan}));
      EXPECT_TRUE(t == 1 || t == 3) << t;
      EXPECT_EQ(s.sample(row({-inf, nan, 2.0f})), 2);
    }
    EXPECT_THROW(s.sample(row({nan, nan, -inf})), Error);
  }
  // Penalties over non-finite logits keep the same meaning.
  SamplingParams pen;
  pen.repetition_penalty = 1.3f;
  pen.presence_penalty = 1.0f;
  Sampler s(pen, 1);
  s.add_prompt_tokens(std::vector<TokenId>{1});
  s.add_generated_token(1);
  EXPECT_EQ(s.sample(row({nan, inf, 5.0f})), 1);
}

}  // namespace
}  // namespace dsinfer::engine::test
