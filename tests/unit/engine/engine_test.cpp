// Engine API behaviour with the fake model: prefix cache counters, cancellation and deadlines
// returning every block, overload, submit-time rejection, stop conditions, text streaming.
#include "engine/engine.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "engine/request_stream.h"
#include "engine_test_support.h"
#include "fake_model.h"

namespace dsinfer::engine::test {
namespace {

constexpr int64_t kVocab = 97;

EngineConfig config(int64_t budget = 512) {
  EngineConfig c;
  c.max_batched_tokens = budget;
  c.max_waiting = 100;
  return c;
}

void expect_all_blocks_free(const Engine& engine) {
  const auto st = engine.stats();
  EXPECT_EQ(st.kv_blocks_used, 0);
  EXPECT_EQ(st.kv_blocks_free, st.kv_blocks_total);
  EXPECT_EQ(st.running, 0);
  EXPECT_EQ(st.waiting, 0);
}

TEST(Engine, PrefixCacheComputesOnlySuffixAndRemainder) {
  for (int64_t block : {16, 32, 7}) {
    FakeModel model(kVocab, block, 256, 2048);
    Engine engine(model, nullptr, config(), 1024);
    const auto prefix = make_prompt(300, 1, kVocab);
    auto prompt_a = prefix;
    auto tail_a = make_prompt(20, 2, kVocab);
    prompt_a.insert(prompt_a.end(), tail_a.begin(), tail_a.end());
    auto prompt_b = prefix;
    auto tail_b = make_prompt(25, 3, kVocab);
    prompt_b.insert(prompt_b.end(), tail_b.begin(), tail_b.end());

    // Reference: B without any cache (fresh engine with prefix caching off).
    FakeModel ref_model(kVocab, block, 256, 2048);
    auto ref_cfg = config();
    ref_cfg.prefix_cache = false;
    Engine ref_engine(ref_model, nullptr, ref_cfg, 1024);
    const auto uncached = run_one(ref_engine, greedy_request(prompt_b, 10));

    run_one(engine, greedy_request(prompt_a, 10));
    const auto before = engine.stats();
    const int64_t computed_before = model.tokens_computed;
    const auto cached = run_one(engine, greedy_request(prompt_b, 10));
    const auto after = engine.stats();

    const int64_t expected_prompt_computed = 25 + 300 % block;
    // Prompt tokens computed + 9 decode steps (the 10th token is sampled, never computed).
    EXPECT_EQ(model.tokens_computed - computed_before, expected_prompt_computed + 9) << block;
    EXPECT_EQ(after.computed_tokens - before.computed_tokens, expected_prompt_computed + 9);
    EXPECT_EQ(cached.last.usage.cached_prompt_tokens, 300 - 300 % block);
    EXPECT_EQ(after.prefix_cache_hit_tokens - before.prefix_cache_hit_tokens, 300 - 300 % block);
    EXPECT_EQ(after.prefix_cache_query_tokens - before.prefix_cache_query_tokens, 325);
    EXPECT_EQ(cached.tokens, uncached.tokens);
    EXPECT_GT(after.kv_blocks_cached, 0);
    expect_all_blocks_free(engine);
  }
}

TEST(Engine, IdenticalPromptStillComputesLastToken) {
  FakeModel model(kVocab, 16, 64, 1024);
  Engine engine(model, nullptr, config(), 512);
  const auto prompt = make_prompt(64, 5, kVocab);  // exactly 4 full blocks
  const auto first = run_one(engine, greedy_request(prompt, 4));
  const int64_t before = model.tokens_computed;
  const auto second = run_one(engine, greedy_request(prompt, 4));
  EXPECT_EQ(second.tokens, first.tokens);
  EXPECT_EQ(second.last.usage.cached_prompt_tokens, 48);
  EXPECT_EQ(model.tokens_computed - before, 16 + 3);
}

// Cancels request `target` from inside the engine thread once its batch entry satisfies `when`.
void cancel_when(FakeModel& model, Engine*& engine_ptr, std::atomic<RequestId>& target,
                 std::function<bool(const model::BatchSequence&)> when) {
  model.on_forward = [&engine_ptr, &target, when](const model::Batch& batch) {
    for (const auto& s : batch.sequences) {
      if (static_cast<RequestId>(s.seq_id) == target.load() && when(s)) {
        engine_ptr->cancel(target.load());
      }
    }
  };
}

TEST(Engine, CancelMidPrefillReturnsEveryBlock) {
  FakeModel model(kVocab, 16, 64, 1024);
  Engine engine(model, nullptr, config(8), 512);
  Engine* ptr = &engine;
  std::atomic<RequestId> target{0};
  cancel_when(model, ptr, target, [](const model::BatchSequence& s) { return s.start_pos >= 40; });
  RequestStream other_stream;
  engine.submit(greedy_request(make_prompt(30, 9, kVocab), 30), other_stream.sink());
  RequestStream stream;
  target = 2;  // ids are handed out in order from 1; set before the engine can run it
  EXPECT_EQ(engine.submit(greedy_request(make_prompt(200, 7, kVocab), 10), stream.sink()), 2u);
  const auto out = collect(stream);
  EXPECT_EQ(out.last.type, EventType::kFinished);
  EXPECT_EQ(out.last.finish_reason, FinishReason::kCancelled);
  EXPECT_TRUE(out.tokens.empty());
  const auto other = collect(other_stream);
  EXPECT_EQ(other.last.finish_reason, FinishReason::kLength);
  expect_all_blocks_free(engine);
}

TEST(Engine, CancelMidDecodeReturnsEveryBlock) {
  FakeModel model(kVocab, 16, 64, 1024);
  Engine engine(model, nullptr, config(), 512);
  Engine* ptr = &engine;
  std::atomic<RequestId> target{0};
  cancel_when(model, ptr, target, [](const model::BatchSequence& s) { return s.start_pos >= 53; });
  RequestStream stream;
  target = 1;  // ids are handed out in order from 1; set before the engine can run it
  EXPECT_EQ(engine.submit(greedy_request(make_prompt(50, 7, kVocab), 100), stream.sink()), 1u);
  const auto out = collect(stream);
  EXPECT_EQ(out.last.finish_reason, FinishReason::kCancelled);
  EXPECT_GE(out.tokens.size(), 3u);
  EXPECT_LT(out.tokens.size(), 100u);
  EXPECT_EQ(out.last.usage.completion_tokens, static_cast<int64_t>(out.tokens.size()));
  expect_all_blocks_free(engine);
  engine.cancel(target);  // finished already: no-op
  engine.cancel(12345);   // unknown: no-op
}

TEST(Engine, CancelWhileWaiting) {
  FakeModel model(kVocab, 16, 64, 1024);
  auto cfg = config();
  cfg.max_running = 1;
  model.on_forward = [](const model::Batch&) {  // a runs >= 400 ms: b is still waiting
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  Engine engine(model, nullptr, cfg, 512);
  RequestStream a, b;
  engine.submit(greedy_request(make_prompt(20, 1, kVocab), 400), a.sink());
  const RequestId id_b = engine.submit(greedy_request(make_prompt(20, 2, kVocab), 5), b.sink());
  engine.cancel(id_b);
  EXPECT_EQ(collect(b).last.finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(collect(a).last.finish_reason, FinishReason::kLength);
  expect_all_blocks_free(engine);
}

TEST(Engine, DeadlinesFire) {
  FakeModel model(kVocab, 16, 64, 1024);
  model.on_forward = [](const model::Batch&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  Engine engine(model, nullptr, config(), 1000);
  Request r = greedy_request(make_prompt(10, 1, kVocab), 900);
  r.deadline = Clock::now() + std::chrono::milliseconds(50);
  const auto out = run_one(engine, r);
  EXPECT_EQ(out.last.type, EventType::kFinished);
  EXPECT_EQ(out.last.finish_reason, FinishReason::kTimeout);
  EXPECT_LT(out.tokens.size(), 900u);
  Request past = greedy_request(make_prompt(10, 2, kVocab), 5);
  past.deadline = Clock::now() - std::chrono::seconds(1);
  EXPECT_EQ(run_one(engine, past).last.finish_reason, FinishReason::kTimeout);
  expect_all_blocks_free(engine);
}

TEST(Engine, OverloadedFailsFastWithRetryDelay) {
  FakeModel model(kVocab, 16, 64, 1024);
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  model.on_forward = [&](const model::Batch&) {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  auto cfg = config();
  cfg.max_waiting = 2;
  Engine engine(model, nullptr, cfg, 512);
  std::vector<std::unique_ptr<RequestStream>> streams;
  auto submit = [&] {
    streams.push_back(std::make_unique<RequestStream>());
    return engine.submit(greedy_request(make_prompt(10, streams.size(), kVocab), 3),
                         streams.back()->sink());
  };
  submit();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });  // the engine thread now sits in forward()
  }
  submit();
  submit();
  const auto t0 = Clock::now();
  try {
    submit();
    ADD_FAILURE() << "expected OverloadedError";
  } catch (const OverloadedError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOverloaded);
    EXPECT_GE(e.retry_after(), std::chrono::milliseconds(1000));
    EXPECT_LE(e.retry_after(), std::chrono::milliseconds(60000));
    EXPECT_NE(std::string(e.what()).find("max-waiting 2"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(500));
  EXPECT_EQ(engine.stats().requests_rejected_overloaded, 1);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (size_t i = 0; i + 1 < streams.size(); ++i) {
    EXPECT_EQ(collect(*streams[i]).last.finish_reason, FinishReason::kLength);
  }
  EXPECT_GT(engine.stats().drain_rate, 0.0);
}

// A translation job's later segments join its admission: not refused for a full queue. stop()
// ends what is in flight with an error event and refuses later work with kUnavailable.
TEST(Engine, AdmittedWorkJoinsAndStopEndsEverything) {
  FakeModel model(kVocab, 16, 64, 1024);
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  model.on_forward = [&](const model::Batch&) {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  auto cfg = config();
  cfg.max_waiting = 1;
  Engine engine(model, nullptr, cfg, 512);
  std::vector<std::unique_ptr<RequestStream>> streams;
  auto submit = [&](bool joins) {
    streams.push_back(std::make_unique<RequestStream>());
    auto r = greedy_request(make_prompt(10, streams.size(), kVocab), 200);
    r.joins_admitted_work = joins;
    engine.validate(r);
    return engine.submit(std::move(r), streams.back()->sink());
  };
  submit(false);
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  submit(false);  // the queue is now full
  EXPECT_THROW(submit(false), OverloadedError);
  streams.pop_back();
  EXPECT_NO_THROW(submit(true));
  EXPECT_NO_THROW(submit(true));
  std::thread stopper([&] { engine.stop(); });
  // Let the model go on only once stop() has taken effect (submit refuses with kUnavailable):
  // released earlier, the fake model would finish the admitted requests normally first.
  for (;;) {
    try {
      submit(true);  // admitted before stop(): must end with kUnavailable like the others
    } catch (const Error& e) {
      ASSERT_EQ(e.kind(), ErrorKind::kUnavailable);
      streams.pop_back();
      break;
    }
  }
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  stopper.join();
  for (auto& st : streams) {
    const auto out = collect(*st);
    EXPECT_EQ(out.last.type, EventType::kError);
    EXPECT_EQ(out.last.error_kind, ErrorKind::kUnavailable);
  }
  RequestStream late;
  try {
    engine.submit(greedy_request(make_prompt(10, 99, kVocab), 3), late.sink());
    ADD_FAILURE() << "expected kUnavailable after stop()";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnavailable);
  }
  engine.stop();  // idempotent
}

TEST(Engine, ValidateChecksWithoutQueueing) {
  FakeModel model(kVocab, 16, 8, 1024);  // pool: 128 tokens
  Engine engine(model, nullptr, config(), 100);
  EXPECT_THROW(engine.validate(greedy_request(make_prompt(90, 1, kVocab), 20)), Error);
  EXPECT_THROW(engine.validate(greedy_request({}, 5)), Error);
  EXPECT_NO_THROW(engine.validate(greedy_request(make_prompt(10, 1, kVocab), 5)));
  EXPECT_EQ(engine.stats().requests_submitted, 0);
}

TEST(Engine, RejectsWhatCannotFitAtSubmit) {
  FakeModel model(kVocab, 16, 8, 1024);  // pool: 128 tokens
  Engine engine(model, nullptr, config(), 100);
  RequestStream s;
  try {
    engine.submit(greedy_request(make_prompt(90, 1, kVocab), 20), s.sink());
    ADD_FAILURE() << "expected rejection";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("90"), std::string::npos) << msg;
    EXPECT_NE(msg.find("20"), std::string::npos) << msg;
    EXPECT_NE(msg.find("100"), std::string::npos) << msg;
  }
  Request none = greedy_request(make_prompt(100, 1, kVocab), 1);
  none.max_tokens.reset();
  EXPECT_THROW(engine.submit(none, s.sink()), Error);  // no room left to generate
  EXPECT_THROW(engine.submit(greedy_request({}, 5), s.sink()), Error);
  EXPECT_THROW(engine.submit(greedy_request({1, 2, 500}, 5), s.sink()), Error);
  Request bad = greedy_request({1, 2}, 5);
  bad.sampling.top_p = 0;
  EXPECT_THROW(engine.submit(bad, s.sink()), Error);
  // A pool that cannot hold one ctx-size sequence fails at construction.
  EXPECT_THROW(Engine(model, nullptr, config(), 129), Error);
}

TEST(Engine, MaxTokensAbsentRunsToContextLimit) {
  FakeModel model(kVocab, 16, 16, 1024);
  Engine engine(model, nullptr, config(), 64);
  Request r = greedy_request(make_prompt(50, 1, kVocab), 1);
  r.max_tokens.reset();
  const auto out = run_one(engine, r);
  EXPECT_EQ(out.last.finish_reason, FinishReason::kLength);
  EXPECT_EQ(out.tokens.size(), 14u);
}

TEST(Engine, StopStringsSpanningTokensAreNotEmitted) {
  FakeModel model(kVocab, 16, 64, 1024);
  auto codec = std::make_shared<FakeCodec>();
  Engine engine(model, codec, config(), 512);
  const auto prompt = make_prompt(12, 4, kVocab);
  const auto free_run = run_one(engine, greedy_request(prompt, 20));
  ASSERT_EQ(free_run.text.size(), 20u);
  // Stop at a 3-letter string starting at the first occurrence of text[6..9).
  const std::string stop = free_run.text.substr(6, 3);
  const size_t at = free_run.text.find(stop);
  Request r = greedy_request(prompt, 20);
  r.stop = {"zzzzzzzzz", stop};
  const auto out = run_one(engine, r);
  EXPECT_EQ(out.last.finish_reason, FinishReason::kStop);
  EXPECT_EQ(out.text, free_run.text.substr(0, at));
  EXPECT_EQ(out.tokens.size(), at + 3);  // the tokens that formed the stop string were generated
  // A stop string that never matches: all text arrives (held-back tail flushed at the end).
  Request r2 = greedy_request(prompt, 20);
  r2.stop = {free_run.text.substr(18, 2) + "#"};
  EXPECT_EQ(run_one(engine, r2).text, free_run.text);
}

TEST(Engine, EndOfGenerationStopsUnlessIgnored) {
  FakeModel model(kVocab, 16, 64, 1024);
  const auto prompt = make_prompt(12, 4, kVocab);
  TokenId third;
  std::string first_two;
  {
    Engine engine(model, std::make_shared<FakeCodec>(), config(), 512);
    const auto out = run_one(engine, greedy_request(prompt, 10));
    third = out.tokens[2];
    first_two = out.text.substr(0, 2);
  }
  FakeModel model2(kVocab, 16, 64, 1024);
  Engine engine(model2, std::make_shared<FakeCodec>(third), config(), 512);
  Request r = greedy_request(prompt, 10);
  r.ignore_eos = false;
  const auto out = run_one(engine, r);
  EXPECT_EQ(out.last.finish_reason, FinishReason::kStop);
  EXPECT_EQ(out.tokens.size(), 2u);
  EXPECT_EQ(out.text, first_two);
  EXPECT_EQ(out.last.usage.completion_tokens, 3);
  r.ignore_eos = true;
  EXPECT_EQ(run_one(engine, r).tokens.size(), 10u);
}

TEST(Engine, TextPromptAndTimings) {
  FakeModel model(kVocab, 16, 64, 1024);
  Engine engine(model, std::make_shared<FakeCodec>(), config(), 512);
  Request r;
  r.prompt_text = "hello";
  r.max_tokens = 3;
  r.ignore_eos = true;
  const auto out = run_one(engine, r);
  EXPECT_EQ(out.last.usage.prompt_tokens, 6);  // BOS + 5 letters
  EXPECT_EQ(out.last.usage.completion_tokens, 3);
  const auto& t = out.last.timing;
  EXPECT_LE(t.submitted, t.first_scheduled);
  EXPECT_LE(t.first_scheduled, t.first_token);
  EXPECT_LE(t.first_token, t.finished);
  Request both = r;
  both.prompt_tokens = {1, 2};
  RequestStream s;
  EXPECT_THROW(engine.submit(both, s.sink()), Error);
  Engine no_codec(model, nullptr, config(), 512);
  EXPECT_THROW(no_codec.submit(r, s.sink()), Error);
}

TEST(Engine, SeededSamplingIsReproducible) {
  FakeModel model(kVocab, 16, 64, 1024);
  Engine engine(model, nullptr, config(), 512);
  Request r = greedy_request(make_prompt(12, 4, kVocab), 30);
  r.sampling.temperature = 1.0f;
  r.sampling.top_k = 20;
  r.sampling.seed = 42;
  const auto a = run_one(engine, r);
  const auto b = run_one(engine, r);
  EXPECT_EQ(a.tokens, b.tokens);
  r.sampling.seed = 43;
  EXPECT_NE(run_one(engine, r).tokens, a.tokens);
}

TEST(Engine, ForwardErrorFailsOnlyThatStep) {
  FakeModel model(kVocab, 16, 64, 1024);
  std::atomic<bool> armed{true};
  model.on_forward = [&armed](const model::Batch&) {
    if (armed.exchange(false)) fail(ErrorKind::kInternal, "injected failure");
  };
  Engine engine(model, nullptr, config(), 512);
  const auto failed = run_one(engine, greedy_request(make_prompt(10, 1, kVocab), 3));
  EXPECT_EQ(failed.last.type, EventType::kError);
  EXPECT_NE(failed.last.error_message.find("injected"), std::string::npos);
  EXPECT_EQ(run_one(engine, greedy_request(make_prompt(10, 1, kVocab), 3)).last.type,
            EventType::kFinished);
  expect_all_blocks_free(engine);
}

TEST(Engine, ShutdownEndsRequestsInFlight) {
  FakeModel model(kVocab, 16, 64, 1024);
  RequestStream stream;
  {
    Engine engine(model, nullptr, config(), 1000);
    engine.submit(greedy_request(make_prompt(10, 1, kVocab), 900), stream.sink());
  }
  const auto out = collect(stream);
  EXPECT_TRUE(out.last.type == EventType::kError || out.last.type == EventType::kFinished);
}

TEST(RequestStream, CoalescesTokenEventsWhenFull) {
  RequestStream stream(2);
  auto sink = stream.sink();
  for (int i = 0; i < 10; ++i) {
    Event e;
    e.tokens = {i};
    e.text = std::to_string(i);
    sink(std::move(e));
  }
  Event last;
  last.type = EventType::kFinished;
  sink(std::move(last));
  const auto out = collect(stream);
  EXPECT_EQ(out.tokens.size(), 10u);
  EXPECT_EQ(out.text, "0123456789");
  EXPECT_TRUE(stream.done());
}

}  // namespace
}  // namespace dsinfer::engine::test
