// Plan YAML and traffic trace parsing, and the Helm values written from a plan.
#include <gtest/gtest.h>

#include "base/error.h"
#include "plan/plan_config.h"
#include "plan/plan_report.h"
#include "plan/traffic_trace.h"

namespace dsinfer::plan {
namespace {

constexpr const char* kPlan = R"(
name: mix
startup_s: 90
pools:
  - {name: core, kind: on-demand, price_per_hour: 4, min: 2, max: 6}
  - {name: edge, kind: spot, price_per_hour: 1.5, interruptions_per_hour: 0.1, notice_s: 30, min: 1, max: 10}
autoscaler:
  metrics:
    - {type: cpu, target_utilization: 70}
    - {type: latency, percentile: 95, target_s: 0.5}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 120
      policies: [{type: Pods, value: 1, periodSeconds: 60}]
)";

TEST(PlanConfig, Parses) {
  const auto p = parse_plan(kPlan, "mix.yaml");
  EXPECT_EQ(p.name, "mix");
  ASSERT_EQ(p.pools.size(), 2u);
  EXPECT_EQ(p.pools[1].kind, PoolKind::kSpot);
  EXPECT_DOUBLE_EQ(p.pools[1].interruptions_per_hour, 0.1);
  EXPECT_EQ(p.metrics.size(), 2u);
  EXPECT_EQ(p.behavior.scale_down.stabilization_window_s, 120);
  EXPECT_EQ(p.behavior.scale_up.policies.size(), 2u);  // default kept
  EXPECT_DOUBLE_EQ(p.sync_period_s, 15);
  EXPECT_DOUBLE_EQ(p.tolerance, 0.1);
  EXPECT_DOUBLE_EQ(p.startup_s, 90);
}

TEST(PlanConfig, RejectsBadInput) {
  EXPECT_THROW(
      parse_plan("pools: []\nautoscaler: {metrics: [{type: cpu, target_utilization: 70}]}", "x"),
      Error);
  EXPECT_THROW(parse_plan("[", "x"), Error);
  EXPECT_THROW(parse_plan(std::string(kPlan) + "typo: 1\n", "x"), Error);
  const std::string bad_min = R"(
pools: [{name: a, min: 3, max: 2}]
autoscaler: {metrics: [{type: cpu, target_utilization: 70}]})";
  EXPECT_THROW(parse_plan(bad_min, "x"), Error);
  const std::string od_interrupt = R"(
pools: [{name: a, interruptions_per_hour: 1}]
autoscaler: {metrics: [{type: cpu, target_utilization: 70}]})";
  EXPECT_THROW(parse_plan(od_interrupt, "x"), Error);
  const std::string bad_metric = R"(
pools: [{name: a}]
autoscaler: {metrics: [{type: latency, percentile: 97, target_s: 1}]})";
  EXPECT_THROW(parse_plan(bad_metric, "x"), Error);
}

TEST(TrafficTrace, CsvAndInterpolation) {
  const auto t = TrafficTrace::from_csv("time,requests_per_s\n0,1\n# c\n60,4\n\n120,4\n", "t.csv");
  EXPECT_DOUBLE_EQ(t.rps_at(30), 2.5);
  EXPECT_DOUBLE_EQ(t.rps_at(500), 4);
  EXPECT_DOUBLE_EQ(t.duration_s(), 120);
  EXPECT_THROW(TrafficTrace::from_csv("0,1\n0,2\n", "x"), Error);
  EXPECT_THROW(TrafficTrace::from_csv("0,1\n10,abc\n", "x"), Error);
  EXPECT_THROW(TrafficTrace::from_csv("0,1\n10,-1\n", "x"), Error);
}

TEST(TrafficTrace, BuiltinShapes) {
  const auto d = TrafficTrace::builtin("diurnal:peak=40,base=10");
  EXPECT_DOUBLE_EQ(d.duration_s(), 86400);
  EXPECT_NEAR(d.rps_at(16 * 3600), 40, 1e-9);
  EXPECT_NEAR(d.rps_at(4 * 3600), 10, 1e-9);
  const auto r = TrafficTrace::builtin("ramp:peak=10,base=0,hours=1");
  EXPECT_NEAR(r.rps_at(1800), 5, 1e-9);
  const auto s = TrafficTrace::builtin("spike:peak=50,base=5,hours=2");
  EXPECT_DOUBLE_EQ(s.rps_at(3600 + 60), 50);
  EXPECT_DOUBLE_EQ(s.rps_at(600), 5);
  const auto a = TrafficTrace::builtin("seed:seed=3");
  const auto b = TrafficTrace::builtin("seed:seed=3");
  EXPECT_EQ(a.points().size(), b.points().size());
  EXPECT_DOUBLE_EQ(a.rps_at(12345), b.rps_at(12345));
  EXPECT_THROW(TrafficTrace::builtin("sawtooth"), Error);
  EXPECT_THROW(TrafficTrace::builtin("diurnal:peek=3"), Error);
}

TEST(HelmValues, UsesTheChartNames) {
  const auto p = parse_plan(kPlan, "mix.yaml");
  const std::string v = helm_values_yaml(p);
  EXPECT_NE(v.find("averageUtilization: 70"), std::string::npos) << v;
  EXPECT_NE(v.find("targetAverageValue: 500m"), std::string::npos) << v;
  EXPECT_NE(v.find("stabilizationWindowSeconds: 120"), std::string::npos) << v;
  EXPECT_NE(v.find("minReplicas: 2"), std::string::npos) << v;
  EXPECT_NE(v.find("maxReplicas: 10"), std::string::npos) << v;
  // PriorityClasses as the chart expects them: the on-demand core above the spot edge.
  const auto core = v.find("value: 100000\n      preemptionPolicy: PreemptLowerPriority");
  const auto edge = v.find("value: 10000\n      preemptionPolicy: Never");
  ASSERT_NE(core, std::string::npos) << v;
  ASSERT_NE(edge, std::string::npos) << v;
  EXPECT_LT(v.find("name: core"), core) << v;
  EXPECT_LT(core, v.find("name: edge")) << v;
  EXPECT_LT(v.find("name: edge"), edge) << v;
  auto queue = p;
  queue.metrics = {{MetricType::kQueue, 4, 95}};
  EXPECT_THROW(helm_values_yaml(queue), Error);
}

}  // namespace
}  // namespace dsinfer::plan
