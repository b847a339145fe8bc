// The Translator against a real Engine on a toy model (tests/unit/engine/fake_model.h) with a
// small byte-level tokenizer and a real chat template: whole-job admission under a tiny queue,
// the job's cap on running requests, cancellation, the cache, the segment limit, engine failure.
#include "translate/translator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "base/limit_error.h"
#include "toy_translator_rig.h"
#include "translate/preserve_formatting.h"

namespace dsinfer::translate {
namespace {

using namespace test;

TEST(Translator, AJobIsAdmittedWholeUnderATinyQueueAndCappedInTheEngine) {
  // --max-waiting 1, yet a 24-text job is not refused halfway: only its first request faces the
  // queue limit, the rest join that admission. The job never holds more than its share (3).
  Rig rig(/*max_waiting=*/1, /*running_slots=*/3);
  std::atomic<size_t> widest{0};
  rig.model.on_forward = [&](const model::Batch& b) {
    size_t w = widest.load();
    while (b.sequences.size() > w && !widest.compare_exchange_weak(w, b.sequences.size())) {
    }
  };
  Outcome out;
  rig.translator->start({"en", "de"}, sentences(24), short_answers(), out.callbacks());
  ASSERT_TRUE(wait_until([&] { return out.finished(); }));
  std::lock_guard lock(out.mu);
  EXPECT_EQ(out.errors, 0);
  EXPECT_EQ(out.done, 1);
  ASSERT_EQ(out.texts.size(), 24u);
  for (size_t i = 0; i < 24; ++i) EXPECT_EQ(out.texts[i], i) << "texts complete in input order";
  EXPECT_EQ(out.usage.segments, 24);
  EXPECT_EQ(out.usage.completion_tokens, 24 * 3);
  EXPECT_GE(widest.load(), 2u) << "segments run in parallel";
  EXPECT_LE(widest.load(), 3u) << "the job exceeded its share of running slots";
  EXPECT_EQ(rig.translator->active_jobs(), 0);
}

TEST(Translator, RepeatedSegmentsComeFromTheCacheWithoutTheEngine) {
  // Only complete, deterministic answers are cached: the default (text-derived) length limit
  // counts as complete, an explicit max_tokens that cut the answer does not.
  Rig rig(8, 4);
  Outcome cut;
  rig.translator->start({"en", "fr"}, sentences(3), short_answers(2), cut.callbacks());
  ASSERT_TRUE(wait_until([&] { return cut.finished(); }));
  Outcome first;
  rig.translator->start({"en", "fr"}, sentences(3), TranslateOptions{}, first.callbacks());
  ASSERT_TRUE(wait_until([&] { return first.finished(); }));
  {
    std::lock_guard lock(first.mu);
    EXPECT_EQ(first.usage.cached_segments, 0) << "an answer cut by max_tokens was cached";
  }
  const int64_t forwards = rig.model.forward_calls.load();
  Outcome again;
  rig.translator->start({"en", "fr"}, sentences(3), TranslateOptions{}, again.callbacks());
  ASSERT_TRUE(wait_until([&] { return again.finished(); }));
  std::lock_guard lock(again.mu);
  EXPECT_EQ(again.done, 1);
  EXPECT_EQ(again.usage.cached_segments, 3);
  EXPECT_EQ(rig.model.forward_calls.load(), forwards) << "a cached job reached the engine";
}

TEST(Translator, PreserveFormattingAppliesToEverySegmentCachedOrNot) {
  // The cache keeps the model's answer; the formatting is applied when a segment is released.
  Rig rig(8, 4);
  const auto sources = sentences(4, "lowercase start");
  Outcome raw;
  rig.translator->start({"en", "de"}, sources, TranslateOptions{}, raw.callbacks());
  ASSERT_TRUE(wait_until([&] { return raw.finished(); }));
  TranslateOptions preserve;
  preserve.preserve_formatting = true;
  Outcome formatted;
  rig.translator->start({"en", "de"}, sources, preserve, formatted.callbacks());
  ASSERT_TRUE(wait_until([&] { return formatted.finished(); }));
  std::lock_guard l1(raw.mu);
  std::lock_guard l2(formatted.mu);
  EXPECT_EQ(formatted.usage.cached_segments, 4);
  ASSERT_EQ(formatted.translations.size(), 4u);
  int changed = 0;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(formatted.translations[i], preserve_formatting(sources[i], raw.translations[i]));
    changed += formatted.translations[i] != raw.translations[i];
  }
  EXPECT_GT(changed, 0) << "the toy model's answers needed no formatting: the test proves nothing";
}

TEST(Translator, CancelStopsTheCallbacksAndFreesTheEngine) {
  // The model holds its fourth forward until the job is cancelled: however the threads are
  // scheduled, the job is still running when cancel() comes. Declared before the rig, so it
  // outlives the engine thread.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool cancelled = false;
  Rig rig(8, 4);
  rig.model.on_forward = [&](const model::Batch&) {
    if (rig.model.forward_calls.load() < 3) return;
    std::unique_lock lock(gate_mu);
    gate_cv.wait_for(lock, 20s, [&] { return cancelled; });  // bounded: a failed ASSERT cannot hang
  };
  Outcome out;
  auto job =
      rig.translator->start({"en", "de"}, sentences(16), short_answers(200), out.callbacks());
  ASSERT_TRUE(wait_until([&] { return rig.model.forward_calls.load() >= 3; }));
  rig.translator->cancel(job);
  const int calls_at_cancel = out.calls.load();
  {
    std::lock_guard lock(gate_mu);
    cancelled = true;
  }
  gate_cv.notify_all();
  ASSERT_TRUE(wait_until([&] {
    const auto s = rig.engine->stats();
    return s.running == 0 && s.waiting == 0;
  })) << "cancelled requests still hold the engine";
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(out.calls.load(), calls_at_cancel) << "callbacks after cancel";
  std::lock_guard lock(out.mu);
  EXPECT_EQ(out.done, 0);
  EXPECT_EQ(rig.translator->active_jobs(), 0);
}

TEST(Translator, OverTheSegmentLimitIsRefusedBeforeAnyCallback) {
  Rig rig(8, 4, /*max_segments=*/4);
  Outcome out;
  EXPECT_THROW(rig.translator->start({"en", "de"}, sentences(5), short_answers(), out.callbacks()),
               LimitError);
  EXPECT_EQ(out.calls.load(), 0);
  EXPECT_EQ(rig.model.forward_calls.load(), 0);
  EXPECT_EQ(rig.translator->active_jobs(), 0);
}

TEST(Translator, AnEngineFailureFailsTheJobOnceAndTheEngineGoesOn) {
  Rig rig(8, 4);
  std::atomic<bool> broken{true};
  rig.model.on_forward = [&](const model::Batch&) {
    if (broken.load()) throw std::runtime_error("injected device failure");
  };
  Outcome out;
  rig.translator->start({"en", "de"}, sentences(6), short_answers(), out.callbacks());
  ASSERT_TRUE(wait_until([&] { return out.finished(); }));
  std::this_thread::sleep_for(50ms);
  {
    std::lock_guard lock(out.mu);
    EXPECT_EQ(out.errors, 1) << "the job's error is reported once";
    EXPECT_EQ(out.done, 0);
    EXPECT_EQ(out.error_kind, ErrorKind::kInternal);
  }
  broken = false;
  Outcome after;
  rig.translator->start({"en", "de"}, sentences(2, "Later"), short_answers(), after.callbacks());
  ASSERT_TRUE(wait_until([&] { return after.finished(); }));
  std::lock_guard lock(after.mu);
  EXPECT_EQ(after.done, 1) << "the next job is served";
}

}  // namespace
}  // namespace dsinfer::translate
