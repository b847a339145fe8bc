// Client layer: SLO capacity selection, capacity curve JSON/CSV, and the SVG writer (ticks,
// escaping, structure; the shell test parses the SVG with an XML parser).
#include <gtest/gtest.h>

#include <algorithm>

#include "base/error.h"
#include "client/capacity_curve.h"
#include "client/svg_chart.h"

namespace dsinfer::client {
namespace {

LevelSummary level(double load, double p95, double error_rate, std::size_t ok = 10) {
  LevelSummary l;
  l.mode = "concurrency";
  l.offered_load = load;
  l.ok = ok;
  l.total = ok;
  l.error_rate = error_rate;
  l.e2e.count = ok;
  l.e2e.p95 = p95;
  l.ttft.count = ok;
  l.ttft.p95 = p95 / 4;
  l.output_tokens_per_s = load * 10;
  return l;
}

TEST(SloCapacity, HighestLevelWithAllLowerOnesMeeting) {
  const SloSpec slo{SloMetric::kE2e, 0.5, 0.01};
  std::vector<LevelSummary> levels = {level(1, 0.1, 0), level(2, 0.2, 0), level(4, 0.45, 0),
                                      level(8, 0.9, 0)};
  EXPECT_EQ(slo_capacity_index(levels, slo), 2u);
  levels[1].error_rate = 0.05;  // too many errors at 2: capacity is 1 even though 4 passes
  EXPECT_EQ(slo_capacity_index(levels, slo), 0u);
  levels[0].ok = 0;
  EXPECT_FALSE(slo_capacity_index(levels, slo).has_value());
  const SloSpec ttft{SloMetric::kTtft, 0.2, 0.01};
  EXPECT_TRUE(meets_slo(level(8, 0.7, 0), ttft));  // ttft p95 0.175
  EXPECT_THROW(parse_slo_metric("p99"), Error);
}

TEST(SloCapacity, ServerTtftComesFromTheHistogramsAndIsMissedWithoutThem) {
  const SloSpec slo{parse_slo_metric("server_ttft"), 1.0, 0.01};
  EXPECT_STREQ(slo_metric_name(slo.metric), "server_ttft");
  std::vector<LevelSummary> levels = {level(1, 5, 0), level(2, 5, 0), level(4, 5, 0)};
  levels[0].server = ServerLatency{10, 0.2, 0.4, 0.01};
  levels[1].server = ServerLatency{10, 0.5, 0.9, 0.3};
  levels[2].server = ServerLatency{10, 0.9, 2.5, 1.8};
  EXPECT_EQ(slo_capacity_index(levels, slo), 1u);  // e2e p95 5 s plays no part
  levels[1].server.reset();                        // a server without the histograms
  EXPECT_EQ(slo_capacity_index(levels, slo), 0u);
  const auto j = capacity_curve_json({}, levels, slo);
  EXPECT_DOUBLE_EQ(j["levels"][0]["server_latency_s"]["ttft_p95"].get<double>(), 0.4);
  EXPECT_TRUE(j["levels"][1]["server_latency_s"].is_null());
  EXPECT_DOUBLE_EQ(j["slo"]["capacity"]["p95_s"].get<double>(), 0.4);
  const std::string csv = capacity_curve_csv(levels, slo);
  EXPECT_NE(csv.find(",server_ttft_p50_s,server_ttft_p95_s,server_queue_p95_s,"),
            std::string::npos);
  EXPECT_NE(csv.find(",0.2,0.4,0.01,"), std::string::npos);
  EXPECT_NE(csv.find(",,,,"), std::string::npos) << "level 2 has empty server cells";
}

TEST(CapacityCurve, JsonCsvCarryEveryLevel) {
  std::vector<LevelSummary> levels = {level(1, 0.1, 0), level(2, 0.6, 0)};
  levels[0].cpu_cores = 0.75;
  const SloSpec slo{SloMetric::kE2e, 0.5, 0.01};
  const auto j = capacity_curve_json({{"url", "http://x"}}, levels, slo);
  EXPECT_EQ(j["schema"], "dsinfer.capacity_curve/v1");
  EXPECT_EQ(j["run"]["url"], "http://x");
  ASSERT_EQ(j["levels"].size(), 2u);
  EXPECT_EQ(j["levels"][0]["meets_slo"], true);
  EXPECT_EQ(j["levels"][1]["meets_slo"], false);
  EXPECT_DOUBLE_EQ(j["levels"][0]["replica"]["cpu_cores"].get<double>(), 0.75);
  EXPECT_EQ(j["slo"]["capacity"]["offered_load"], 1.0);
  EXPECT_EQ(j["slo"]["metric"], "e2e");
  const auto none = capacity_curve_json({}, levels, std::nullopt);
  EXPECT_TRUE(none["slo"].is_null());
  const std::string csv = capacity_curve_csv(levels, slo);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  EXPECT_EQ(csv.rfind("mode,offered_load,", 0), 0u);
  EXPECT_NE(csv.find(",0.75,true,,,false\n"), std::string::npos);
}

TEST(NiceTicks, CoverRangeWithRoundSteps) {
  EXPECT_EQ(nice_ticks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  const auto t = nice_ticks(0, 0.37, 6);
  EXPECT_LE(t.front(), 0.0);
  EXPECT_GE(t.back(), 0.37);
  EXPECT_NEAR(t[1] - t[0], 0.1, 1e-12);  // 0.37 / 6 = 0.062 rounds up to 0.1
  EXPECT_GE(nice_ticks(3, 3, 5).size(), 2u);
}

TEST(SvgChart, StructureAndEscaping) {
  std::vector<LevelSummary> levels = {level(1, 0.1, 0), level(2, 0.3, 0), level(4, 0.7, 0)};
  const std::string svg =
      capacity_curve_svg(levels, SloSpec{SloMetric::kE2e, 0.5, 0.01}, "a<b & \"c\"");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(svg.find("SLO: e2e p95 0.5 s"), std::string::npos);
  EXPECT_NE(svg.find("SLO capacity: 2"), std::string::npos);  // 1 and 2 meet, 4 misses
  EXPECT_NE(svg.find("e2e p95"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  // Every opened element is closed: count "<g" vs "</g>".
  std::size_t open = 0, close = 0;
  for (std::size_t p = svg.find("<g "); p != std::string::npos; p = svg.find("<g ", p + 1)) ++open;
  for (std::size_t p = svg.find("</g>"); p != std::string::npos; p = svg.find("</g>", p + 1))
    ++close;
  EXPECT_EQ(open, 2u);
  EXPECT_EQ(open, close);
  EXPECT_EQ(xml_escape("x\x01y'"), "x y&apos;");
  // Empty input still gives a document.
  EXPECT_NE(capacity_curve_svg({}, std::nullopt, "").find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace dsinfer::client
