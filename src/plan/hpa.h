// The Kubernetes HorizontalPodAutoscaler algorithm (autoscaling/v2), as documented on
// kubernetes.io "Horizontal Pod Autoscaling": per-metric replica counts with the tolerance band
// and not-ready / missing pod handling, the maximum over metrics, and `behavior` (stabilisation
// windows, Pods / Percent policies, selectPolicy) with min / max bounds.
#pragma once

#include <deque>
#include <string>
#include <vector>

namespace dsinfer::plan {

enum class PolicyType { kPods, kPercent };
enum class SelectPolicy { kMax, kMin, kDisabled };

struct ScalingPolicy {
  PolicyType type = PolicyType::kPods;
  int value = 1;
  int period_s = 15;
};

struct ScalingRules {
  int stabilization_window_s = 0;
  std::vector<ScalingPolicy> policies;
  SelectPolicy select = SelectPolicy::kMax;
};

struct HpaBehavior {
  ScalingRules scale_up;
  ScalingRules scale_down;
};

// The documented defaults: scale-up window 0 s, max(100 % per 15 s, 4 pods per 15 s); scale-down
// window 300 s, 100 % per 15 s.
HpaBehavior default_behavior();

// Resource metrics (CPU utilisation) and Pods metrics (AverageValue) differ in how pods that are
// not ready yet and pods without a sample are treated.
enum class MetricSource { kResourceCpu, kPods };

// One metric as the controller sees it at a sync: one value per pod that has a ready sample,
// plus the pods that are not ready (CPU only) or have no sample.
struct MetricObservation {
  MetricSource source = MetricSource::kPods;
  double target = 1.0;               // averageUtilization (percent) or averageValue
  std::vector<double> ready_values;  // per ready pod with a sample
  int unready_pods = 0;              // CPU: pods not ready yet (their samples are ignored)
  int missing_pods = 0;              // pods without a sample
};

// NOTE: the per-metric rule of the docs (section "Algorithm details"):
// desiredReplicas = ceil(currentReplicas × currentMetricValue / desiredMetricValue) over the pods
// with samples; no change when |ratio − 1| <= tolerance; missing pods count as the target (100 %
// for CPU, when higher) on scale-down and as 0 on scale-up; not-ready CPU pods count as 0 on
// scale-up; a rebalanced ratio that reverses the direction or lands in the band means no change.
// `current_replicas` is the scale target's replica count. Throws Error on a target <= 0.
int metric_desired_replicas(int current_replicas, const MetricObservation& metric,
                            double tolerance);

// The controller of one HPA: keeps the recommendations and scale events that the stabilisation
// windows and policies look back on. Times are seconds of simulated time, non-decreasing.
class HpaController {
 public:
  // Throws Error(kInvalidInput) when min < 1, max < min or a policy is invalid.
  HpaController(int min_replicas, int max_replicas, HpaBehavior behavior, double tolerance);

  // One sync: the new replica count for `current_replicas` given the metrics (max over the
  // metrics' desired counts, then stabilised and rate-limited). An empty `metrics` keeps the
  // count (only min / max apply). Records the scale event when the count changes.
  int sync(double now_s, int current_replicas, const std::vector<MetricObservation>& metrics);

  // The behaviour step alone (testable): stabilise `desired` over the windows, then apply the
  // policies and min / max. Records the recommendation and, when it changes, the event.
  int normalize(double now_s, int current_replicas, int desired_replicas);

  int min_replicas() const { return min_; }
  int max_replicas() const { return max_; }

 private:
  struct Recommendation {
    double time_s;
    int replicas;
  };
  struct Event {
    double time_s;
    int change;
  };
  int change_in_period(const std::deque<Event>& events, double now_s, int period_s) const;
  int scale_up_limit(double now_s, int current) const;
  int scale_down_limit(double now_s, int current) const;
  void prune(double now_s);

  int min_;
  int max_;
  HpaBehavior behavior_;
  double tolerance_;
  bool initialised_ = false;
  std::deque<Recommendation> recommendations_;
  std::deque<Event> up_events_;
  std::deque<Event> down_events_;
};

const char* select_policy_name(SelectPolicy s);
const char* policy_type_name(PolicyType t);

}  // namespace dsinfer::plan
