// The HPA computation against the worked examples of the Kubernetes documentation
// (kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/, formerly
// /docs/tasks/run-application/horizontal-pod-autoscale/); each test names its section.
#include <gtest/gtest.h>

#include "base/error.h"
#include "plan/hpa.h"

namespace dsinfer::plan {
namespace {

MetricObservation pods_metric(int ready, double value, double target, int missing = 0) {
  MetricObservation m;
  m.source = MetricSource::kPods;
  m.target = target;
  m.ready_values.assign(std::size_t(ready), value);
  m.missing_pods = missing;
  return m;
}

MetricObservation cpu_metric(int ready, double value, double target, int unready = 0,
                             int missing = 0) {
  MetricObservation m = pods_metric(ready, value, target, missing);
  m.source = MetricSource::kResourceCpu;
  m.unready_pods = unready;
  return m;
}

// Section "Algorithm details": current 200m, desired 100m → the replicas are doubled.
TEST(Hpa, AlgorithmDetailsDoubles) {
  EXPECT_EQ(metric_desired_replicas(3, pods_metric(3, 0.200, 0.100), 0.1), 6);
}

// Section "Algorithm details": current 50m, desired 100m → halved.
TEST(Hpa, AlgorithmDetailsHalves) {
  EXPECT_EQ(metric_desired_replicas(4, pods_metric(4, 0.050, 0.100), 0.1), 2);
}

// Section "Algorithm details": no action when the ratio is within the tolerance (default 0.1)
// of 1.0.
TEST(Hpa, ToleranceBand) {
  EXPECT_EQ(metric_desired_replicas(10, pods_metric(10, 1.05, 1.0), 0.1), 10);
  EXPECT_EQ(metric_desired_replicas(10, pods_metric(10, 0.91, 1.0), 0.1), 10);
  EXPECT_EQ(metric_desired_replicas(10, pods_metric(10, 1.15, 1.0), 0.1), 12);  // ceil(11.5)
  EXPECT_EQ(metric_desired_replicas(10, pods_metric(10, 0.85, 1.0), 0.1), 9);   // ceil(8.5)
}

// Kubernetes blog "Kubernetes v1.33: HorizontalPodAutoscaler Configurable Tolerance" (2025-04-28,
// links the algorithm section): 50 replicas at 90 % CPU, target 75 % → 60; 20 % above target
// exceeds the 10 % tolerance.
TEST(Hpa, BlogToleranceExample) {
  EXPECT_EQ(metric_desired_replicas(50, cpu_metric(50, 90, 75), 0.1), 60);
}

// Section "Algorithm details" (missing metrics): on a scale-down, pods without a sample count as
// consuming 100 % of the desired value; on a scale-up, 0 %.
TEST(Hpa, MissingMetricsAreConservative) {
  // 3 ready at 50 % of target + 1 missing: (50·3 + 100) / 4 = 62.5 % → ceil(0.625 · 4) = 3
  EXPECT_EQ(metric_desired_replicas(4, pods_metric(3, 0.5, 1.0, 1), 0.1), 3);
  // 3 ready at 200 % + 1 missing counted as 0: 150 % → ceil(1.5 · 4) = 6
  EXPECT_EQ(metric_desired_replicas(4, pods_metric(3, 2.0, 1.0, 1), 0.1), 6);
  // CPU: the fallback on a scale-down is max(target, 100 %): target 50, 3 ready at 20 %
  // → (60 + 100) / 4 = 40 % → ratio 0.8 → ceil(3.2) = 4 = current
  EXPECT_EQ(metric_desired_replicas(4, cpu_metric(3, 20, 50, 0, 1), 0.1), 4);
}

// Section "Algorithm details" (not-yet-ready pods, CPU): on a scale-up, not-ready pods count as
// 0 %; if that reverses the direction or lands in the tolerance band, nothing changes.
TEST(Hpa, NotReadyCpuPods) {
  // 3 ready at 150 % of a 100 % target + 1 not ready: (450 + 0) / 4 = 112.5 % → ceil(4.5) = 5
  EXPECT_EQ(metric_desired_replicas(4, cpu_metric(3, 150, 100, 1), 0.1), 5);
  // 2 ready at 120 % + 2 not ready: 60 % reverses the scale-up → keep 4
  EXPECT_EQ(metric_desired_replicas(4, cpu_metric(2, 120, 100, 2), 0.1), 4);
  // 2 ready at 210 % + 2 not ready: 105 % is within the band → keep 4
  EXPECT_EQ(metric_desired_replicas(4, cpu_metric(2, 210, 100, 2), 0.1), 4);
  // not-ready pods are ignored on a scale-down: 3 ready at 40 %, 1 not ready → ceil(1.2) = 2
  EXPECT_EQ(metric_desired_replicas(4, cpu_metric(3, 40, 100, 1), 0.1), 2);
}

// Section "Scaling on multiple metrics": the controller takes the largest desired count.
TEST(Hpa, MultipleMetricsTakeTheMaximum) {
  HpaBehavior b = default_behavior();
  b.scale_up.policies = {{PolicyType::kPods, 100, 15}};
  HpaController hpa(1, 100, b, 0.1);
  // CPU 140 % of 70 % → 8; latency 0.75 / 0.5 → 6
  const int next = hpa.sync(15, 4, {cpu_metric(4, 140, 70), pods_metric(4, 0.75, 0.5)});
  EXPECT_EQ(next, 8);
}

// Section "Scaling policies": scale-down policies Pods 4 / 60 s and Percent 10 % / 60 s
// (selectPolicy Max by default). From 80 replicas towards 10: the first step removes 8; at 72,
// 10 % is 7.2, rounded up to 8; below 40 replicas the Pods policy (4) allows more.
TEST(Hpa, ScalingPoliciesExample) {
  HpaBehavior b = default_behavior();
  b.scale_down.stabilization_window_s = 0;
  b.scale_down.policies = {{PolicyType::kPods, 4, 60}, {PolicyType::kPercent, 10, 60}};
  HpaController hpa(1, 100, b, 0.1);
  EXPECT_EQ(hpa.normalize(0, 80, 10), 72);
  EXPECT_EQ(hpa.normalize(30, 72, 10), 72);  // within the same 60 s period: nothing more
  EXPECT_EQ(hpa.normalize(60, 72, 10), 64);
  HpaController small(1, 100, b, 0.1);
  EXPECT_EQ(small.normalize(0, 30, 10), 26);  // 10 % of 30 is 3 pods < 4
}

// Section "Example: limit scale down rate" with selectPolicy Min (section "Scaling policies":
// Min picks the policy that changes the fewest pods): Percent 10 and Pods 5 per 60 s.
TEST(Hpa, SelectPolicyMin) {
  HpaBehavior b = default_behavior();
  b.scale_down.stabilization_window_s = 0;
  b.scale_down.policies = {{PolicyType::kPercent, 10, 60}, {PolicyType::kPods, 5, 60}};
  b.scale_down.select = SelectPolicy::kMin;
  HpaController hpa(1, 200, b, 0.1);
  EXPECT_EQ(hpa.normalize(0, 100, 10), 95);
}

// Section "Example: disable scale down": selectPolicy Disabled never scales down.
TEST(Hpa, DisabledScaleDown) {
  HpaBehavior b = default_behavior();
  b.scale_down.select = SelectPolicy::kDisabled;
  b.scale_down.policies.clear();
  HpaController hpa(1, 20, b, 0.1);
  for (int t = 0; t < 1000; t += 15) EXPECT_EQ(hpa.normalize(t, 10, 2), 10);
}

// Section "Default behavior": scale-up allows max(100 %, 4 pods) per 15 s.
TEST(Hpa, DefaultScaleUp) {
  HpaController hpa(1, 50, default_behavior(), 0.1);
  EXPECT_EQ(hpa.normalize(0, 1, 20), 5);    // max(2, 1 + 4)
  EXPECT_EQ(hpa.normalize(15, 5, 20), 10);  // max(10, 9)
  EXPECT_EQ(hpa.normalize(30, 10, 20), 20);
}

// Section "Stabilization window": with the default 300 s scale-down window the controller uses
// the highest recommendation of the last 300 s, so a drop is applied 300 s after it starts
// (the first sync seeds the window with the current count).
TEST(Hpa, ScaleDownStabilizationWindow) {
  HpaController hpa(1, 20, default_behavior(), 0.1);
  for (int t = 0; t < 300; t += 15) ASSERT_EQ(hpa.normalize(t, 10, 4), 10) << "t=" << t;
  EXPECT_EQ(hpa.normalize(300, 10, 4), 4);
}

// Section "Stabilization window" applied to scale-up (scaleUp.stabilizationWindowSeconds): the
// lowest recommendation of the window wins.
TEST(Hpa, ScaleUpStabilizationWindow) {
  HpaBehavior b = default_behavior();
  b.scale_up.stabilization_window_s = 60;
  HpaController hpa(1, 20, b, 0.1);
  EXPECT_EQ(hpa.normalize(0, 2, 2), 2);
  EXPECT_EQ(hpa.normalize(15, 2, 6), 2);  // window still holds the 2 of t=0
  EXPECT_EQ(hpa.normalize(60, 2, 6), 6);  // t=0 left the window: min(6, 6)
}

// Section "Algorithm details" / spec: the result stays within minReplicas..maxReplicas, and a
// count outside the bounds goes straight to the bound.
TEST(Hpa, MinMaxBounds) {
  HpaController hpa(2, 5, default_behavior(), 0.1);
  EXPECT_EQ(hpa.sync(0, 4, {pods_metric(4, 10.0, 1.0)}), 5);
  HpaController low(2, 5, default_behavior(), 0.1);
  EXPECT_EQ(low.sync(0, 1, {}), 2);
  EXPECT_THROW(HpaController(0, 5, default_behavior(), 0.1), Error);
  EXPECT_THROW(HpaController(3, 2, default_behavior(), 0.1), Error);
}

}  // namespace
}  // namespace dsinfer::plan
