// A lost device fails the engine for good: every request queued or in flight is answered with a
// device_lost error, later submissions are refused with the reason, failure() reports it. Any
// other forward error, however many in a row, fails only its own requests.
#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/request_stream.h"
#include "engine_test_support.h"
#include "fake_model.h"

namespace dsinfer::engine::test {
namespace {

constexpr int64_t kLostVocab = 50;
constexpr const char* kLostText = "Vulkan: vkQueueSubmit failed: VK_ERROR_DEVICE_LOST";

EngineConfig two_running() {
  EngineConfig c;
  c.max_batched_tokens = 256;
  c.max_running = 2;  // 2 of the 4 requests below run, 2 wait: both kinds must be answered
  c.max_waiting = 100;
  return c;
}

TEST(EngineDeviceLost, FailsEveryRequestInFlightAndRefusesLaterOnes) {
  FakeModel model(kLostVocab, 8, 64, 512);
  std::promise<void> all_submitted;
  std::shared_future<void> go = all_submitted.get_future().share();
  std::atomic<int> calls{0};
  model.on_forward = [&](const model::Batch&) {
    const int call = ++calls;
    if (call == 1) go.wait();  // every request is queued before the first step runs
    if (call >= 3) fail(ErrorKind::kDeviceLost, "{}", kLostText);
  };
  Engine engine(model, nullptr, two_running(), 256);
  std::vector<std::unique_ptr<RequestStream>> streams;
  for (uint64_t i = 0; i < 4; ++i) {
    streams.push_back(std::make_unique<RequestStream>());
    engine.submit(greedy_request(make_prompt(20, i + 1, kLostVocab), 200), streams.back()->sink());
  }
  all_submitted.set_value();
  for (auto& stream : streams) {
    const Outcome o = collect(*stream);
    EXPECT_EQ(o.last.type, EventType::kError);
    EXPECT_EQ(o.last.error_kind, ErrorKind::kDeviceLost);
    EXPECT_NE(o.last.error_message.find(kLostText), std::string::npos) << o.last.error_message;
    EXPECT_NE(o.last.error_message.find("retry"), std::string::npos) << o.last.error_message;
  }

  const auto failure = engine.failure();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->kind(), ErrorKind::kDeviceLost);
  EXPECT_NE(std::string(failure->what()).find(kLostText), std::string::npos);
  try {
    RequestStream later;
    engine.submit(greedy_request(make_prompt(20, 9, kLostVocab), 5), later.sink());
    ADD_FAILURE() << "a failed engine admitted a request";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kDeviceLost);
    EXPECT_NE(std::string(e.what()).find(kLostText), std::string::npos) << e.what();
  }
  engine.cancel(1);  // no-op on a failed engine
  const auto st = engine.stats();
  EXPECT_EQ(st.running + st.waiting, 0);
  EXPECT_EQ(st.requests_finished, 4);
  EXPECT_EQ(calls.load(), 3);  // no forward pass after the device was lost
}

TEST(EngineDeviceLost, OtherForwardErrorsNeverFailTheEngine) {
  FakeModel model(kLostVocab, 8, 64, 512);
  std::atomic<int> failing{0};
  std::atomic<int> kind_index{0};
  const ErrorKind kinds[] = {ErrorKind::kInternal, ErrorKind::kUnavailable,
                             ErrorKind::kInvalidInput};
  model.on_forward = [&](const model::Batch&) {
    if (failing.load() > 0) {
      failing.fetch_sub(1);
      fail(kinds[kind_index.fetch_add(1) % 3], "transient: VK_ERROR_OUT_OF_DEVICE_MEMORY");
    }
  };
  Engine engine(model, nullptr, two_running(), 256);
  failing = 12;  // twelve failed steps in a row, one request each
  for (int i = 0; i < 12; ++i) {
    const auto o = run_one(engine, greedy_request(make_prompt(20, 100 + i, kLostVocab), 5));
    EXPECT_EQ(o.last.type, EventType::kError);
    EXPECT_NE(o.last.error_kind, ErrorKind::kDeviceLost);
  }
  EXPECT_FALSE(engine.failure().has_value());
  const auto ok = run_one(engine, greedy_request(make_prompt(20, 7, kLostVocab), 5));
  EXPECT_EQ(ok.last.type, EventType::kFinished);
  EXPECT_EQ(ok.tokens.size(), 5u);
  EXPECT_FALSE(engine.failure().has_value());
}

}  // namespace
}  // namespace dsinfer::engine::test
