// A capacity plan (YAML): pools with prices and spot behaviour, the autoscaler's metrics and
// behaviour, pod start-up time, the metric pipeline's lag and the SLO (format:
// docs/planning.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/hpa.h"

namespace dsinfer::plan {

enum class PoolKind { kOnDemand, kSpot };

struct PoolSpec {
  std::string name;
  PoolKind kind = PoolKind::kOnDemand;
  double price_per_hour = 0;          // per replica
  double interruptions_per_hour = 0;  // spot: per replica
  double notice_s = 30;               // spot: draining time after the interruption notice
  int min_replicas = 1;
  int max_replicas = 10;
};

enum class MetricType { kCpu, kLatency, kQueue };

struct MetricSpec {
  MetricType type = MetricType::kCpu;
  double target = 70;   // cpu: averageUtilization %; latency: seconds; queue: waiting per pod
  int percentile = 95;  // latency: 50, 90, 95 or 99
};

struct PlanSpec {
  std::string name;
  std::vector<PoolSpec> pools;
  std::vector<MetricSpec> metrics;
  HpaBehavior behavior = default_behavior();
  double sync_period_s = 15;
  double tolerance = 0.1;
  double startup_s = 120;           // scheduling + model load + warm-up
  double metric_lag_s = 30;         // scrape interval + adapter window
  double cpu_request_cores = 8;     // the pod's CPU request (utilisation = usage / request)
  std::optional<double> slo_p95_s;  // default: the curve's SLO target, else 0.5
  double ineffective_horizon_s = 600;
};

// Parses a plan; `origin` names it in errors (Error(kInvalidInput) with the field's path).
PlanSpec parse_plan(const std::string& yaml_text, const std::string& origin);
PlanSpec load_plan(const std::string& path);

const char* metric_type_name(MetricType t);

}  // namespace dsinfer::plan
