// The Kubernetes HPA algorithm: per-metric replicas, behaviour (stabilisation + policies).
#include "plan/hpa.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>

#include "base/error.h"

namespace dsinfer::plan {

HpaBehavior default_behavior() {
  HpaBehavior b;
  b.scale_up.stabilization_window_s = 0;
  b.scale_up.policies = {{PolicyType::kPercent, 100, 15}, {PolicyType::kPods, 4, 15}};
  b.scale_up.select = SelectPolicy::kMax;
  b.scale_down.stabilization_window_s = 300;
  b.scale_down.policies = {{PolicyType::kPercent, 100, 15}};
  b.scale_down.select = SelectPolicy::kMax;
  return b;
}

const char* select_policy_name(SelectPolicy s) {
  switch (s) {
    case SelectPolicy::kMax:
      return "Max";
    case SelectPolicy::kMin:
      return "Min";
    case SelectPolicy::kDisabled:
      return "Disabled";
  }
  return "?";
}

const char* policy_type_name(PolicyType t) { return t == PolicyType::kPods ? "Pods" : "Percent"; }

namespace {

// NOTE: the controller averages in integers, as the Kubernetes metrics client does: CPU as
// whole percent of the request (floor of total usage × 100 / total request), Pods metrics as
// milli-units (floor of the milli-value total / pods) against the target in milli-units.
// Returns the usage ratio current / target.
double usage_ratio(const std::vector<double>& values, const MetricObservation& m) {
  if (values.empty()) return 0.0;
  if (m.source == MetricSource::kResourceCpu) {
    const double sum = std::accumulate(values.begin(), values.end(), 0.0);
    const auto pct = static_cast<long long>(std::floor(sum / double(values.size()) + 1e-9));
    return double(pct) / m.target;
  }
  long long total = 0;
  for (double v : values) total += std::llround(v * 1000);
  const long long avg = total / static_cast<long long>(values.size());
  return double(avg) / double(std::llround(m.target * 1000));
}

void check_rules(const ScalingRules& r, const char* which) {
  if (r.stabilization_window_s < 0 || r.stabilization_window_s > 3600) {
    fail(ErrorKind::kInvalidInput, "{}.stabilizationWindowSeconds {} is not in 0..3600", which,
         r.stabilization_window_s);
  }
  for (const auto& p : r.policies) {
    if (p.value <= 0 || p.period_s <= 0 || p.period_s > 1800) {
      fail(ErrorKind::kInvalidInput,
           "{} policy {} value {} / periodSeconds {}: value must be > 0, period in 1..1800", which,
           policy_type_name(p.type), p.value, p.period_s);
    }
  }
  if (r.policies.empty() && r.select != SelectPolicy::kDisabled) {
    fail(ErrorKind::kInvalidInput, "{} has no policies (use selectPolicy: Disabled)", which);
  }
}

}  // namespace

int metric_desired_replicas(int current_replicas, const MetricObservation& m, double tolerance) {
  if (!(m.target > 0) || (m.source == MetricSource::kPods && std::llround(m.target * 1000) < 1)) {
    fail(ErrorKind::kInvalidInput, "metric target {} must be >= 0.001", m.target);
  }
  const int ready = int(m.ready_values.size());
  if (ready == 0) return current_replicas;  // no sample at all: the metric is skipped
  const double ratio = usage_ratio(m.ready_values, m);
  const bool cpu = m.source == MetricSource::kResourceCpu;
  const bool up_with_unready = cpu && m.unready_pods > 0 && ratio > 1.0;
  if (!up_with_unready && m.missing_pods == 0) {
    if (std::abs(1.0 - ratio) <= tolerance) return current_replicas;
    return int(std::ceil(ratio * ready));
  }
  // NOTE: rebalance conservatively (docs, "Algorithm details"): missing pods as the target (CPU:
  // max(target, 100 %)) when scaling down and as 0 when scaling up; not-ready CPU pods as 0 when
  // scaling up. Then recompute; reversing the direction or entering the band means no change.
  std::vector<double> values = m.ready_values;
  if (m.missing_pods > 0) {
    double fill = 0.0;
    if (ratio < 1.0) fill = cpu ? std::max(m.target, 100.0) : m.target;
    if (ratio != 1.0) values.insert(values.end(), std::size_t(m.missing_pods), fill);
  }
  if (up_with_unready) values.insert(values.end(), std::size_t(m.unready_pods), 0.0);
  const double new_ratio = usage_ratio(values, m);
  if (std::abs(1.0 - new_ratio) <= tolerance || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    return current_replicas;
  }
  const int n = int(std::ceil(new_ratio * double(values.size())));
  if ((new_ratio < 1.0 && n > current_replicas) || (new_ratio > 1.0 && n < current_replicas)) {
    return current_replicas;
  }
  return n;
}

HpaController::HpaController(int min_replicas, int max_replicas, HpaBehavior behavior,
                             double tolerance)
    : min_(min_replicas),
      max_(max_replicas),
      behavior_(std::move(behavior)),
      tolerance_(tolerance) {
  if (min_ < 1) fail(ErrorKind::kInvalidInput, "minReplicas {} must be >= 1", min_);
  if (max_ < min_) fail(ErrorKind::kInvalidInput, "maxReplicas {} < minReplicas {}", max_, min_);
  if (!(tolerance_ >= 0 && tolerance_ < 1)) {
    fail(ErrorKind::kInvalidInput, "tolerance {} is not in [0, 1)", tolerance_);
  }
  check_rules(behavior_.scale_up, "scaleUp");
  check_rules(behavior_.scale_down, "scaleDown");
}

int HpaController::change_in_period(const std::deque<Event>& events, double now_s,
                                    int period_s) const {
  int sum = 0;
  for (const auto& e : events) {
    if (e.time_s > now_s - period_s) sum += e.change;
  }
  return sum;
}

// NOTE: as the controller does: each policy's limit is computed from the replica count at the
// start of its period (current − added + removed within periodSeconds). Scale-up Percent rounds
// up; scale-down Percent truncates (so 10 % of 72 removes 8: 72 × 0.9 = 64.8 → 64).
int HpaController::scale_up_limit(double now_s, int current) const {
  const auto& rules = behavior_.scale_up;
  if (rules.select == SelectPolicy::kDisabled) return current;
  int result = rules.select == SelectPolicy::kMin ? INT_MAX : INT_MIN;
  for (const auto& p : rules.policies) {
    const int start = current - change_in_period(up_events_, now_s, p.period_s) +
                      change_in_period(down_events_, now_s, p.period_s);
    const int proposed = p.type == PolicyType::kPods
                             ? start + p.value
                             : int(std::ceil(double(start) * (1.0 + p.value / 100.0)));
    result = rules.select == SelectPolicy::kMin ? std::min(result, proposed)
                                                : std::max(result, proposed);
  }
  return result;
}

int HpaController::scale_down_limit(double now_s, int current) const {
  const auto& rules = behavior_.scale_down;
  if (rules.select == SelectPolicy::kDisabled) return current;
  int result = rules.select == SelectPolicy::kMin ? INT_MIN : INT_MAX;
  for (const auto& p : rules.policies) {
    const int start = current - change_in_period(up_events_, now_s, p.period_s) +
                      change_in_period(down_events_, now_s, p.period_s);
    const int proposed = p.type == PolicyType::kPods ? start - p.value
                                                     : int(double(start) * (1.0 - p.value / 100.0));
    result = rules.select == SelectPolicy::kMin ? std::max(result, proposed)
                                                : std::min(result, proposed);
  }
  return result;
}

void HpaController::prune(double now_s) {
  const double keep = std::max(behavior_.scale_up.stabilization_window_s,
                               behavior_.scale_down.stabilization_window_s);
  while (!recommendations_.empty() && recommendations_.front().time_s < now_s - keep - 1) {
    recommendations_.pop_front();
  }
  for (auto* events : {&up_events_, &down_events_}) {
    while (!events->empty() && events->front().time_s < now_s - 1800) events->pop_front();
  }
}

int HpaController::normalize(double now_s, int current, int desired) {
  if (!initialised_) {
    // the controller seeds the scale-down window with the current count at its first sync
    recommendations_.push_back({now_s, current});
    initialised_ = true;
  }
  // NOTE: stabilisation (docs, "Stabilization window"): the result is kept between the minimum
  // of the recommendations in the scale-up window and the maximum of those in the scale-down
  // window (both windows include this sync's recommendation).
  int up_rec = desired;
  int down_rec = desired;
  for (const auto& r : recommendations_) {
    if (r.time_s > now_s - behavior_.scale_up.stabilization_window_s) {
      up_rec = std::min(up_rec, r.replicas);
    }
    if (r.time_s > now_s - behavior_.scale_down.stabilization_window_s) {
      down_rec = std::max(down_rec, r.replicas);
    }
  }
  int rec = current;
  if (rec < up_rec) rec = up_rec;
  if (rec > down_rec) rec = down_rec;
  recommendations_.push_back({now_s, desired});

  int result = rec;
  if (rec > current) {
    const int limit = std::max(scale_up_limit(now_s, current), current);
    result = std::min(rec, std::min(max_, limit));
  } else if (rec < current) {
    const int limit = std::min(scale_down_limit(now_s, current), current);
    result = std::max(rec, std::max(min_, limit));
  }
  if (result > current) up_events_.push_back({now_s, result - current});
  if (result < current) down_events_.push_back({now_s, current - result});
  prune(now_s);
  return result;
}

int HpaController::sync(double now_s, int current, const std::vector<MetricObservation>& metrics) {
  // outside the bounds the controller goes straight to the bound (no metric, no behaviour)
  if (current > max_ || current < min_) {
    const int target = std::clamp(current, min_, max_);
    (target > current ? up_events_ : down_events_).push_back({now_s, std::abs(target - current)});
    return target;
  }
  int desired = 0;
  bool any = false;
  for (const auto& m : metrics) {
    if (m.ready_values.empty()) continue;  // a metric without samples is skipped
    desired = std::max(desired, metric_desired_replicas(current, m, tolerance_));
    any = true;
  }
  if (!any) desired = current;
  return normalize(now_s, current, desired);
}

}  // namespace dsinfer::plan
