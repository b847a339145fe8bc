// Client layer: the translation-cache and prefix-cache shares of a level, their JSON/CSV forms,
// and the capacity that refuses to be called compute capacity when the cache answered.
#include <gtest/gtest.h>

#include "client/bench_report.h"
#include "client/cache_share.h"
#include "client/capacity_curve.h"

namespace dsinfer::client {
namespace {

RequestRecord translated(std::optional<std::int64_t> cached, std::optional<std::int64_t> segments,
                         std::int64_t completion_tokens) {
  RequestRecord r;
  r.status = 200;
  r.cached_segments = cached;
  r.segments = segments;
  r.usage_completion_tokens = completion_tokens;
  return r;
}

TEST(CacheShare, CountsSegmentsTheServerReports) {
  CacheShare c;
  add_to_cache_share(c, translated(0, 2, 40));
  add_to_cache_share(c, translated(2, 2, 0));  // answered wholly from the cache
  add_to_cache_share(c, translated(1, 4, 30));
  EXPECT_EQ(c.translate_responses, 3u);
  EXPECT_EQ(c.segments, 8);
  EXPECT_EQ(c.cached_segments, 3);
  EXPECT_EQ(c.requests_all_cached, 1u);
  EXPECT_FALSE(c.segments_estimated);
  EXPECT_DOUBLE_EQ(*c.answer_share(), 3.0 / 8.0);
  EXPECT_FALSE(c.cache_dominated());
  add_to_cache_share(c, translated(4, 4, 0));
  add_to_cache_share(c, translated(3, 3, 0));
  EXPECT_DOUBLE_EQ(*c.answer_share(), 10.0 / 15.0);
  EXPECT_TRUE(c.cache_dominated());
}

TEST(CacheShare, WithoutSegmentCountsTheShareIsAnUpperBound) {
  CacheShare c;
  add_to_cache_share(c, translated(1, std::nullopt, 0));   // 1 segment, cached
  add_to_cache_share(c, translated(0, std::nullopt, 12));  // at least 1, generated
  add_to_cache_share(c, translated(2, std::nullopt, 5));   // at least 3
  EXPECT_TRUE(c.segments_estimated);
  EXPECT_EQ(c.segments, 5);
  EXPECT_EQ(c.cached_segments, 3);
  EXPECT_EQ(c.requests_all_cached, 1u);
  EXPECT_DOUBLE_EQ(*c.answer_share(), 0.6);
  EXPECT_TRUE(c.cache_dominated());
  // Exactly half is not "most".
  CacheShare half;
  add_to_cache_share(half, translated(1, 1, 0));
  add_to_cache_share(half, translated(0, 1, 9));
  EXPECT_FALSE(half.cache_dominated());
}

TEST(CacheShare, PrefixCacheTokensAndNoReports) {
  CacheShare none;
  RequestRecord chat;
  chat.usage_prompt_tokens = 90;
  add_to_cache_share(none, chat);  // no cached_tokens reported: not counted
  EXPECT_FALSE(none.prompt_share().has_value());
  EXPECT_FALSE(none.answer_share().has_value());
  EXPECT_FALSE(none.cache_dominated());
  CacheShare c;
  chat.usage_cached_prompt_tokens = 32;
  add_to_cache_share(c, chat);
  chat.usage_prompt_tokens = 10;
  chat.usage_cached_prompt_tokens = 50;  // more than the prompt: clamped
  add_to_cache_share(c, chat);
  EXPECT_EQ(c.prompt_tokens, 100);
  EXPECT_EQ(c.cached_prompt_tokens, 42);
  EXPECT_DOUBLE_EQ(*c.prompt_share(), 0.42);
  EXPECT_FALSE(c.cache_dominated());  // the prefix cache never makes a level "cache capacity"
}

PhaseResult phase_of(std::vector<RequestRecord> records) {
  PhaseResult p;
  p.start = BenchClock::time_point{} + std::chrono::seconds(10);
  for (auto& r : records) {
    r.start = p.start;
    r.end = p.start + std::chrono::milliseconds(200);
  }
  p.end = p.start + std::chrono::seconds(1);
  p.records = std::move(records);
  return p;
}

TEST(CacheShare, LevelReportAndCapacityBasis) {
  // Failed requests do not count: only answers the server gave.
  RequestRecord failed = translated(5, 5, 0);
  failed.status = 503;
  failed.outcome = Outcome::kHttpError;
  const LevelSummary compute =
      summarize_phase(phase_of({translated(0, 1, 30), translated(0, 1, 28), failed}), "rate", 1);
  EXPECT_EQ(compute.cache.translate_responses, 2u);
  EXPECT_DOUBLE_EQ(*compute.cache.answer_share(), 0.0);
  const LevelSummary cached = summarize_phase(
      phase_of({translated(1, 1, 0), translated(1, 1, 0), translated(0, 1, 20)}), "rate", 2);
  EXPECT_TRUE(cached.cache.cache_dominated());
  const auto j = level_to_json(cached);
  EXPECT_EQ(j["cache"]["cache_dominated"], true);
  EXPECT_EQ(j["cache"]["translation"]["cached_segments"], 2);
  EXPECT_EQ(j["cache"]["translation"]["requests_all_cached"], 2);
  EXPECT_TRUE(j["cache"]["prefix"].is_null());
  EXPECT_NE(format_level_table(cached).find("measures the cache, not compute"), std::string::npos);
  EXPECT_EQ(format_level_table(compute).find("WARNING"), std::string::npos);

  const SloSpec slo{SloMetric::kE2e, 1.0, 0.5};
  EXPECT_STREQ(capacity_basis({compute, cached}, 0), "compute");
  EXPECT_STREQ(capacity_basis({compute, cached}, 1), "cache");
  const auto curve = capacity_curve_json({}, {compute, cached}, slo);
  EXPECT_EQ(curve["slo"]["capacity"]["level_index"], 1);
  EXPECT_EQ(curve["slo"]["capacity"]["basis"], "cache");
  EXPECT_EQ(curve["levels"][1]["cache"]["cache_dominated"], true);
  const std::string csv = capacity_curve_csv({compute, cached}, slo);
  EXPECT_NE(csv.find(",true,0,,false\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",true,0.6667,,true\n"), std::string::npos) << csv;
}

}  // namespace
}  // namespace dsinfer::client
