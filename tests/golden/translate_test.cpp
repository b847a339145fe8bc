// Translation jobs over a real engine on a tiny fixture model: in-order reassembly with the
// original separators, parallel segments, translation cache, cancellation.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "engine/engine_loader.h"
#include "support/fixtures.h"
#include "tokenizer/chat_template.h"
#include "translate/translator.h"

namespace dsinfer::translate {
namespace {

struct Collected {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<size_t, std::string>> texts;
  std::optional<TranslationUsage> usage;
  std::string error;
  bool finished = false;

  TranslationCallbacks callbacks() {
    TranslationCallbacks cb;
    cb.on_text = [this](size_t i, std::string t) {
      std::lock_guard l(mu);
      texts.emplace_back(i, std::move(t));
    };
    cb.on_done = [this](const TranslationUsage& u) {
      std::lock_guard l(mu);
      usage = u;
      finished = true;
      cv.notify_all();
    };
    cb.on_error = [this](ErrorKind, const std::string& m) {
      std::lock_guard l(mu);
      error = m;
      finished = true;
      cv.notify_all();
    };
    return cb;
  }
  void wait() {
    std::unique_lock l(mu);
    cv.wait(l, [this] { return finished; });
  }
};

class TranslatorTest : public ::testing::Test {
 protected:
  void load() {
    engine::EngineConfig config;
    config.kv_cache_mem = "64MiB";
    loaded_ =
        engine::load_engine(fixtures_ + "/golden/models/tiny-qwen2-tied-Q8_0.gguf", config, 2);
    template_ = std::make_shared<tokenizer::ChatTemplate>(
        tokenizer::ChatTemplate::from_gguf(*loaded_->file, *loaded_->tokenizer));
    translator_ = std::make_unique<Translator>(*loaded_->engine, loaded_->tokenizer, template_,
                                               cache_, "tiny", TranslatorConfig{8, true});
  }
  std::string fixtures_;
  std::unique_ptr<engine::LoadedEngine> loaded_;
  std::shared_ptr<tokenizer::ChatTemplate> template_;
  TranslationCache cache_{1 << 20};
  std::unique_ptr<Translator> translator_;
};

TEST_F(TranslatorTest, ReassemblesInOrderAndCaches) {
  DSINFER_REQUIRE_FIXTURES(dir);
  fixtures_ = dir;
  load();
  const std::vector<std::string> docs = {
      "  The first paragraph has two sentences. This is the second one.\n\n\nShort.\n",
      "今天天气很好。我们早上九点在车站见面！",
  };
  TranslateOptions opts;
  opts.max_tokens = std::nullopt;
  Collected a;
  translator_->start({"en", "zh", {}}, docs, opts, a.callbacks());
  a.wait();
  ASSERT_TRUE(a.error.empty()) << a.error;
  ASSERT_EQ(a.texts.size(), 2u);
  EXPECT_EQ(a.texts[0].first, 0u);
  EXPECT_EQ(a.texts[1].first, 1u);
  // Separators survive: leading blanks, the paragraph break, the trailing newline.
  EXPECT_EQ(a.texts[0].second.rfind("  ", 0), 0u);
  EXPECT_NE(a.texts[0].second.find("\n\n\n"), std::string::npos);
  EXPECT_EQ(a.texts[0].second.back(), '\n');
  ASSERT_TRUE(a.usage.has_value());
  EXPECT_GE(a.usage->segments, 4);  // budget 8 tokens: sentences become segments
  EXPECT_EQ(a.usage->cached_segments, 0);
  EXPECT_GT(a.usage->completion_tokens, 0);
  // Timing of the first engine request, and time per output token over all of them.
  const TranslationTiming& t = a.usage->timing;
  ASSERT_NE(t.first_token.time_since_epoch().count(), 0);
  EXPECT_LE(t.submitted, t.first_scheduled);
  EXPECT_LE(t.first_scheduled, t.first_token);
  EXPECT_GE(t.queue_seconds(), 0);
  EXPECT_GT(t.decode_tokens, 0);
  EXPECT_LE(t.decode_tokens, a.usage->completion_tokens - a.usage->segments);
  EXPECT_GT(t.seconds_per_output_token(), 0);

  Collected b;  // same input again at temperature 0: every segment from the cache
  translator_->start({"en", "zh", {}}, docs, opts, b.callbacks());
  b.wait();
  ASSERT_TRUE(b.usage.has_value());
  EXPECT_EQ(b.usage->cached_segments, b.usage->segments);
  EXPECT_EQ(b.texts, a.texts);
  // Nothing ran in the engine: nothing measured.
  EXPECT_EQ(b.usage->timing.submitted.time_since_epoch().count(), 0);
  EXPECT_EQ(b.usage->timing.first_token.time_since_epoch().count(), 0);
  EXPECT_EQ(b.usage->timing.queue_seconds(), -1);
  EXPECT_EQ(b.usage->timing.seconds_per_output_token(), -1);
}

TEST_F(TranslatorTest, CancelFreesEveryBlock) {
  DSINFER_REQUIRE_FIXTURES(dir);
  fixtures_ = dir;
  load();
  TranslateOptions opts;
  opts.max_tokens = 200;
  Collected c;
  auto job = translator_->start({"en", "zh", {}}, {"One. Two. Three. Four. Five. Six."}, opts,
                                c.callbacks());
  translator_->cancel(job);
  for (int i = 0; i < 200 && loaded_->engine->stats().kv_blocks_used > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(loaded_->engine->stats().kv_blocks_used, 0);
  EXPECT_FALSE(c.finished);  // a cancelled job reports nothing more
}

// A later round (markup repair) adds its decode time; the first request stays the first round's
// unless that round had none.
TEST(TranslationTiming, MergeKeepsTheFirstRequest) {
  using engine::Clock;
  const Clock::time_point t0 = Clock::now();
  TranslationTiming first;
  first.submitted = t0;
  first.first_scheduled = t0 + std::chrono::milliseconds(20);
  first.first_token = t0 + std::chrono::milliseconds(50);
  first.decode_seconds = 1.0;
  first.decode_tokens = 10;
  TranslationTiming later;
  later.submitted = t0 + std::chrono::seconds(2);
  later.first_scheduled = t0 + std::chrono::seconds(3);
  later.first_token = t0 + std::chrono::seconds(4);
  later.decode_seconds = 2.0;
  later.decode_tokens = 30;
  TranslationTiming merged = first;
  merged.merge(later);
  EXPECT_EQ(merged.first_token, first.first_token);
  EXPECT_NEAR(merged.queue_seconds(), 0.020, 1e-9);
  EXPECT_NEAR(merged.seconds_per_output_token(), 3.0 / 40, 1e-12);
  TranslationTiming cached;  // the first round came from the cache
  cached.merge(later);
  EXPECT_EQ(cached.first_token, later.first_token);
  EXPECT_NEAR(cached.queue_seconds(), 1.0, 1e-9);
  EXPECT_EQ(TranslationTiming{}.queue_seconds(), -1);
  EXPECT_EQ(TranslationTiming{}.seconds_per_output_token(), -1);
}

TEST(StripReasoning, DropsThinkBlock) {
  EXPECT_EQ(strip_reasoning("reasoning...</think>\n\nHello.", true), "Hello.");
  EXPECT_EQ(strip_reasoning("never closed", true), "");
  EXPECT_EQ(strip_reasoning("  Plain answer. ", false), "Plain answer.");
  EXPECT_EQ(strip_reasoning("<think>x</think>Hi", false), "Hi");
}

}  // namespace
}  // namespace dsinfer::translate
