// Client layer: TTFT / ITL / TPOT / e2e of one request and the aggregation of a level.
#include <gtest/gtest.h>

#include "client/bench_report.h"
#include "client/request_record.h"

namespace dsinfer::client {
namespace {

using std::chrono::milliseconds;

RequestRecord streamed(BenchClock::time_point t0, int ttft_ms, int itl_ms, int chunks,
                       int tail_ms) {
  RequestRecord r;
  r.start = t0;
  for (int i = 0; i < chunks; ++i) r.chunk_times.push_back(t0 + milliseconds(ttft_ms + i * itl_ms));
  r.end = r.chunk_times.back() + milliseconds(tail_ms);
  r.status = 200;
  return r;
}

TEST(RequestMetrics, FromTimestamps) {
  const auto t0 = BenchClock::time_point{} + std::chrono::seconds(100);
  RequestRecord r = streamed(t0, 200, 20, 11, 0);
  RequestMetrics m = compute_request_metrics(r);
  EXPECT_NEAR(*m.ttft_s, 0.200, 1e-9);
  EXPECT_NEAR(m.e2e_s, 0.400, 1e-9);
  ASSERT_EQ(m.itl_s.size(), 10u);
  for (const double gap : m.itl_s) EXPECT_NEAR(gap, 0.020, 1e-9);
  EXPECT_NEAR(*m.tpot_s, 0.020, 1e-9);  // (0.4 - 0.2) / (11 - 1)
  EXPECT_EQ(m.output_tokens, 11);
  EXPECT_FALSE(m.output_from_usage);

  // Usage says 21 tokens in 11 chunks: TPOT spreads decode time over tokens, ITL stays per chunk.
  r.usage_completion_tokens = 21;
  r.usage_prompt_tokens = 42;
  m = compute_request_metrics(r);
  EXPECT_EQ(m.output_tokens, 21);
  EXPECT_TRUE(m.output_from_usage);
  EXPECT_EQ(*m.input_tokens, 42);
  EXPECT_NEAR(*m.tpot_s, 0.010, 1e-9);

  RequestRecord one = streamed(t0, 50, 0, 1, 5);
  m = compute_request_metrics(one);
  EXPECT_NEAR(*m.ttft_s, 0.050, 1e-9);
  EXPECT_FALSE(m.tpot_s.has_value());
  EXPECT_TRUE(m.itl_s.empty());

  RequestRecord whole;
  whole.start = t0;
  whole.end = t0 + milliseconds(300);
  whole.streamed = false;
  whole.chunk_times.push_back(whole.end);
  m = compute_request_metrics(whole);
  EXPECT_FALSE(m.ttft_s.has_value());
  EXPECT_NEAR(m.e2e_s, 0.3, 1e-9);
}

TEST(LevelSummary, CountsErrorsByKindAndComputesThroughput) {
  const auto t0 = BenchClock::time_point{} + std::chrono::seconds(100);
  PhaseResult phase;
  phase.start = t0;
  for (int i = 0; i < 8; ++i)
    phase.records.push_back(streamed(t0 + milliseconds(i * 100), 100, 10, 10, 0));
  RequestRecord e429;
  e429.start = e429.end = t0;
  e429.status = 429;
  e429.outcome = Outcome::kHttpError;
  RequestRecord e500 = e429;
  e500.status = 500;
  RequestRecord conn = e429;
  conn.status = 0;
  conn.outcome = Outcome::kConnectError;
  RequestRecord drop = e429;
  drop.status = 200;
  drop.outcome = Outcome::kDropped;
  phase.records.insert(phase.records.end(), {e429, e429, e500, conn, drop});
  phase.not_sent = 1;
  phase.end = t0 + milliseconds(2000);
  const LevelSummary s = summarize_phase(phase, "rate", 4);
  EXPECT_EQ(s.total, 14u);
  EXPECT_EQ(s.ok, 8u);
  EXPECT_EQ(s.failed, 6u);
  EXPECT_EQ(s.status_429, 2u);
  EXPECT_EQ(s.http_errors.at(500), 1u);
  EXPECT_EQ(s.http_errors.at(429), 2u);
  EXPECT_EQ(s.connect_errors, 1u);
  EXPECT_EQ(s.dropped, 1u);
  EXPECT_NEAR(s.error_rate, 6.0 / 14.0, 1e-12);
  EXPECT_NEAR(s.rate_429, 2.0 / 14.0, 1e-12);
  EXPECT_NEAR(s.requests_per_s, 4.0, 1e-9);
  EXPECT_NEAR(s.output_tokens_per_s, 40.0, 1e-9);
  EXPECT_EQ(s.output_token_source, "chunks");
  EXPECT_NEAR(s.ttft.p50, 0.100, 1e-9);
  EXPECT_NEAR(s.e2e.p95, 0.190, 1e-9);
  EXPECT_EQ(s.itl.count, 72u);
  const auto j = level_to_json(s);
  EXPECT_EQ(j["requests"]["status_429"], 2);
  EXPECT_EQ(j["requests"]["http_errors_by_status"]["500"], 1);
  EXPECT_TRUE(j["replica"]["cpu_cores"].is_null());
  EXPECT_NE(format_level_table(s).find("429: 2"), std::string::npos);
}

}  // namespace
}  // namespace dsinfer::client
