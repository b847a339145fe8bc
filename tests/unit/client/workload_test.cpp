// Client layer: built-in translation workload (deterministic, sized), JSONL workloads, and
// Poisson arrival gaps (mean and dispersion within statistical bounds).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include "base/error.h"
#include "client/arrival_schedule.h"
#include "client/translation_corpus.h"
#include "client/workload.h"

namespace dsinfer::client {
namespace {

TEST(TranslationWorkload, DeterministicForSeedAndSizedByPromptLen) {
  WorkloadOptions o;
  o.api = Api::kChat;
  o.prompt_len = 64;
  o.seed = 7;
  const auto a = make_translation_workload(o, 50);
  const auto b = make_translation_workload(o, 50);
  ASSERT_EQ(a.size(), 50u);
  int zh = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].text, b[i].text);
    const auto instruction = translation_instruction(a[i].source_lang);
    ASSERT_EQ(a[i].text.rfind(instruction, 0), 0u) << "prompt starts with the fixed instruction";
    const std::string segment = a[i].text.substr(instruction.size());
    EXPECT_NEAR(estimate_tokens(segment), 64, 2) << segment;
    zh += a[i].source_lang == "zh";
  }
  EXPECT_GT(zh, 10);  // mixed languages
  EXPECT_LT(zh, 40);
  o.seed = 8;
  EXPECT_NE(make_translation_workload(o, 5)[0].text + make_translation_workload(o, 5)[1].text,
            a[0].text + a[1].text);
}

TEST(TranslationWorkload, DistributionsAndTranslateApi) {
  WorkloadOptions o;
  o.api = Api::kTranslate;
  o.prompt_len = 100;
  o.source_lang = "zh";
  o.distribution = LengthDistribution::kUniform;
  const auto prompts = make_translation_workload(o, 200);
  int lo = 1000, hi = 0;
  for (const auto& p : prompts) {
    EXPECT_EQ(p.source_lang, "zh");
    EXPECT_EQ(p.target_lang, "en");
    const int n = estimate_tokens(p.text);
    lo = std::min(lo, n);
    hi = std::max(hi, n);
  }
  EXPECT_GE(lo, 49);
  EXPECT_LE(hi, 151);
  EXPECT_LT(lo, 60);
  EXPECT_GT(hi, 140);
  o.distribution = LengthDistribution::kLognormal;
  EXPECT_EQ(make_translation_workload(o, 3).size(), 3u);
  o.prompt_len = 0;
  EXPECT_THROW(make_translation_workload(o, 1), Error);
  o.prompt_len = 5;
  o.source_lang = "fr";
  EXPECT_THROW(make_translation_workload(o, 1), Error);
  EXPECT_THROW(parse_length_distribution("zipf"), Error);
}

// The segment of a prompt (chat/completions prompts carry the instruction first).
std::string segment_of(const Prompt& p) {
  const auto instruction = translation_instruction(p.source_lang);
  return p.text.rfind(instruction, 0) == 0 ? p.text.substr(instruction.size()) : p.text;
}

TEST(TranslationWorkload, SegmentsAreDistinctAtEveryLength) {
  for (const int len : {4, 8, 16, 64, 200}) {
    for (const char* lang : {"zh", "en", "mixed"}) {
      WorkloadOptions o;
      o.api = Api::kTranslate;
      o.prompt_len = len;
      o.source_lang = lang;
      o.seed = 3;
      const auto prompts = make_translation_workload(o, 2000);
      std::set<std::string> seen;
      for (const auto& p : prompts) {
        EXPECT_TRUE(seen.insert(p.text).second) << len << " " << lang << ": repeated " << p.text;
        EXPECT_LE(estimate_tokens(p.text), len) << p.text;
      }
    }
  }
  WorkloadOptions chat;
  chat.api = Api::kChat;
  chat.prompt_len = 32;
  std::set<std::string> segments;
  for (const auto& p : make_translation_workload(chat, 500)) segments.insert(segment_of(p));
  EXPECT_EQ(segments.size(), 500u);
  // Two tokens cannot hold 500 distinct segments: a clear error, not silent repeats.
  chat.prompt_len = 2;
  EXPECT_THROW(make_translation_workload(chat, 500), Error);
}

TEST(TranslationWorkload, RepeatShareIsExactInEverySlice) {
  WorkloadOptions o;
  o.api = Api::kTranslate;
  o.prompt_len = 48;
  o.repeat_share = 0.3;
  o.seed = 11;
  const auto prompts = make_translation_workload(o, 1000);
  const auto again = make_translation_workload(o, 1000);
  std::set<std::string> seen;
  std::size_t repeats = 0;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(prompts[i].text, again[i].text);
    const bool repeat = !seen.insert(prompts[i].text).second;
    repeats += repeat;
    if ((i + 1) % 100 == 0) {
      EXPECT_EQ(repeats, (i + 1) * 3 / 10) << "after " << i + 1 << " prompts";  // each slice 30
    }
  }
  EXPECT_EQ(repeats, 300u);
  EXPECT_EQ(seen.size(), 700u);
  EXPECT_NE(prompts[0].text, prompts[1].text);
  o.repeat_share = 1.0;
  EXPECT_THROW(make_translation_workload(o, 10), Error);
  o.repeat_share = -0.1;
  EXPECT_THROW(make_translation_workload(o, 10), Error);
}

TEST(EstimateTokens, CjkAndAscii) {
  EXPECT_EQ(estimate_tokens(""), 0);
  EXPECT_EQ(estimate_tokens("a"), 1);
  EXPECT_EQ(estimate_tokens("abcdefgh"), 2);
  EXPECT_EQ(estimate_tokens("中文"), 2);
}

TEST(JsonlWorkload, ReadsShapesAndNamesBadLines) {
  const std::string path = ::testing::TempDir() + "/workload_test.jsonl";
  {
    std::ofstream f(path);
    f << R"({"prompt":"p1","max_tokens":5})"
      << "\n\n"
      << R"({"messages":[{"role":"user","content":"m"}]})"
      << "\n"
      << R"({"text":"t","source_lang":"zh","target_lang":"en"})"
      << "\n";
  }
  const auto prompts = load_jsonl_workload(path, Api::kChat);
  ASSERT_EQ(prompts.size(), 3u);
  EXPECT_EQ(prompts[0].text, "p1");
  EXPECT_EQ(*prompts[0].max_tokens, 5);
  EXPECT_FALSE(prompts[1].messages_json.empty());
  EXPECT_EQ(prompts[2].source_lang, "zh");
  try {
    load_jsonl_workload(path, Api::kCompletions);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(":3:"), std::string::npos) << e.what();
  }
  {
    std::ofstream f(path);
    f << R"({"prompt":"ok"})"
      << "\n"
      << "{broken\n";
  }
  try {
    load_jsonl_workload(path, Api::kChat);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(":2:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_jsonl_workload(path + ".missing", Api::kChat), Error);
  std::remove(path.c_str());
}

// NOTE: with n = 20000 exponential gaps of mean 1/rate, the sample mean has standard error
// (1/rate)/sqrt(n); 5 standard errors bound a false failure below 1e-6. The counts of
// arrivals per unit window are Poisson: their variance/mean ratio is close to 1.
TEST(PoissonArrivals, MeanAndDispersion) {
  const double rate = 8.0;
  PoissonArrivals a(rate, 42);
  const int n = 20000;
  double t = 0, sum = 0;
  std::vector<int> per_second(static_cast<std::size_t>(n / rate) + 10, 0);
  for (int i = 0; i < n; ++i) {
    const double g = a.next_gap_s();
    ASSERT_GE(g, 0.0);
    sum += g;
    t += g;
    if (t < static_cast<double>(per_second.size())) ++per_second[static_cast<std::size_t>(t)];
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 1.0 / rate, 5.0 * (1.0 / rate) / std::sqrt(n));
  const std::size_t windows = static_cast<std::size_t>(t) - 1;
  double m = 0, v = 0;
  for (std::size_t i = 0; i < windows; ++i) m += per_second[i];
  m /= windows;
  for (std::size_t i = 0; i < windows; ++i) v += (per_second[i] - m) * (per_second[i] - m);
  v /= windows - 1;
  EXPECT_NEAR(v / m, 1.0, 0.2);  // uniform spacing would give ~0, bursts > 1
  PoissonArrivals b(rate, 42);
  PoissonArrivals c(rate, 42);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.next_gap_s(), c.next_gap_s());
  EXPECT_THROW(PoissonArrivals(0.0, 1), Error);
  EXPECT_THROW(PoissonArrivals(-1.0, 1), Error);
}

}  // namespace
}  // namespace dsinfer::client
