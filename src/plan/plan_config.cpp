// Plan YAML parsing and validation.
#include "plan/plan_config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "base/error.h"

namespace dsinfer::plan {

const char* metric_type_name(MetricType t) {
  switch (t) {
    case MetricType::kCpu:
      return "cpu";
    case MetricType::kLatency:
      return "latency";
    case MetricType::kQueue:
      return "queue";
  }
  return "?";
}

namespace {

template <typename T>
T get(const YAML::Node& node, const char* key, T fallback, const std::string& where) {
  const YAML::Node v = node[key];
  if (!v) return fallback;
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    fail(ErrorKind::kInvalidInput, "{}.{}: wrong type", where, key);
  }
}

void check_keys(const YAML::Node& node, std::set<std::string> allowed, const std::string& where) {
  if (!node.IsMap()) fail(ErrorKind::kInvalidInput, "{}: expected a mapping", where);
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) fail(ErrorKind::kInvalidInput, "{}: unknown key '{}'", where, key);
  }
}

ScalingRules parse_rules(const YAML::Node& node, ScalingRules rules, const std::string& where) {
  if (!node) return rules;
  check_keys(node, {"stabilizationWindowSeconds", "policies", "selectPolicy"}, where);
  rules.stabilization_window_s =
      get<int>(node, "stabilizationWindowSeconds", rules.stabilization_window_s, where);
  if (node["selectPolicy"]) {
    const auto s = get<std::string>(node, "selectPolicy", "", where);
    if (s == "Max")
      rules.select = SelectPolicy::kMax;
    else if (s == "Min")
      rules.select = SelectPolicy::kMin;
    else if (s == "Disabled")
      rules.select = SelectPolicy::kDisabled;
    else
      fail(ErrorKind::kInvalidInput, "{}.selectPolicy '{}' is not Max, Min, Disabled", where, s);
  }
  if (node["policies"]) {
    rules.policies.clear();
    int i = 0;
    for (const auto& p : node["policies"]) {
      const std::string w = fmt::format("{}.policies[{}]", where, i++);
      check_keys(p, {"type", "value", "periodSeconds"}, w);
      ScalingPolicy policy;
      const auto type = get<std::string>(p, "type", "", w);
      if (type == "Pods")
        policy.type = PolicyType::kPods;
      else if (type == "Percent")
        policy.type = PolicyType::kPercent;
      else
        fail(ErrorKind::kInvalidInput, "{}.type '{}' is not Pods or Percent", w, type);
      policy.value = get<int>(p, "value", 0, w);
      policy.period_s = get<int>(p, "periodSeconds", 0, w);
      rules.policies.push_back(policy);
    }
  }
  return rules;
}

}  // namespace

PlanSpec parse_plan(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::kInvalidInput, "{}: not YAML: {}", origin, e.what());
  }
  check_keys(root,
             {"name", "pools", "autoscaler", "startup_s", "metric_lag_s", "cpu_request_cores",
              "slo_p95_s", "ineffective_horizon_s"},
             origin);
  PlanSpec plan;
  plan.name = get<std::string>(root, "name", std::filesystem::path(origin).stem().string(), origin);
  plan.startup_s = get<double>(root, "startup_s", plan.startup_s, origin);
  plan.metric_lag_s = get<double>(root, "metric_lag_s", plan.metric_lag_s, origin);
  plan.cpu_request_cores = get<double>(root, "cpu_request_cores", plan.cpu_request_cores, origin);
  plan.ineffective_horizon_s =
      get<double>(root, "ineffective_horizon_s", plan.ineffective_horizon_s, origin);
  if (root["slo_p95_s"]) plan.slo_p95_s = get<double>(root, "slo_p95_s", 0.5, origin);
  if (!(plan.startup_s >= 0 && plan.metric_lag_s >= 0 && plan.cpu_request_cores > 0 &&
        plan.ineffective_horizon_s > 0 && (!plan.slo_p95_s || *plan.slo_p95_s > 0))) {
    fail(ErrorKind::kInvalidInput,
         "{}: startup_s, metric_lag_s must be >= 0; cpu_request_cores, ineffective_horizon_s, "
         "slo_p95_s > 0",
         origin);
  }
  const YAML::Node pools = root["pools"];
  if (!pools || !pools.IsSequence() || pools.size() == 0) {
    fail(ErrorKind::kInvalidInput, "{}: pools: a non-empty list is required", origin);
  }
  std::set<std::string> names;
  int i = 0;
  for (const auto& p : pools) {
    const std::string w = fmt::format("{}: pools[{}]", origin, i++);
    check_keys(
        p, {"name", "kind", "price_per_hour", "interruptions_per_hour", "notice_s", "min", "max"},
        w);
    PoolSpec pool;
    pool.name = get<std::string>(p, "name", "", w);
    if (pool.name.empty() || !names.insert(pool.name).second) {
      fail(ErrorKind::kInvalidInput, "{}.name '{}' is empty or repeated", w, pool.name);
    }
    const auto kind = get<std::string>(p, "kind", "on-demand", w);
    if (kind == "on-demand")
      pool.kind = PoolKind::kOnDemand;
    else if (kind == "spot")
      pool.kind = PoolKind::kSpot;
    else
      fail(ErrorKind::kInvalidInput, "{}.kind '{}' is not on-demand or spot", w, kind);
    pool.price_per_hour = get<double>(p, "price_per_hour", 0, w);
    pool.interruptions_per_hour = get<double>(p, "interruptions_per_hour", 0, w);
    pool.notice_s = get<double>(p, "notice_s", pool.notice_s, w);
    pool.min_replicas = get<int>(p, "min", 1, w);
    pool.max_replicas = get<int>(p, "max", 10, w);
    if (!(pool.price_per_hour >= 0 && pool.interruptions_per_hour >= 0 && pool.notice_s >= 0)) {
      fail(ErrorKind::kInvalidInput, "{}: price, interruptions and notice must be >= 0", w);
    }
    if (pool.kind == PoolKind::kOnDemand && pool.interruptions_per_hour > 0) {
      fail(ErrorKind::kInvalidInput, "{}: only spot pools are interrupted", w);
    }
    if (pool.min_replicas < 1 || pool.max_replicas < pool.min_replicas) {
      fail(ErrorKind::kInvalidInput, "{}: needs 1 <= min <= max (got {}, {})", w, pool.min_replicas,
           pool.max_replicas);
    }
    plan.pools.push_back(pool);
  }
  const YAML::Node as = root["autoscaler"];
  if (!as) fail(ErrorKind::kInvalidInput, "{}: autoscaler is required", origin);
  const std::string aw = origin + ": autoscaler";
  check_keys(as, {"metrics", "behavior", "sync_period_s", "tolerance"}, aw);
  plan.sync_period_s = get<double>(as, "sync_period_s", plan.sync_period_s, aw);
  plan.tolerance = get<double>(as, "tolerance", plan.tolerance, aw);
  if (!(plan.sync_period_s >= 1 && plan.sync_period_s <= 600)) {
    fail(ErrorKind::kInvalidInput, "{}.sync_period_s must be in 1..600", aw);
  }
  if (!as["metrics"] || !as["metrics"].IsSequence() || as["metrics"].size() == 0) {
    fail(ErrorKind::kInvalidInput, "{}.metrics: a non-empty list is required", aw);
  }
  i = 0;
  for (const auto& m : as["metrics"]) {
    const std::string w = fmt::format("{}.metrics[{}]", aw, i++);
    check_keys(m, {"type", "target_utilization", "target_s", "percentile", "target_per_pod"}, w);
    MetricSpec metric;
    const auto type = get<std::string>(m, "type", "", w);
    if (type == "cpu") {
      metric.type = MetricType::kCpu;
      metric.target = get<double>(m, "target_utilization", 0, w);
    } else if (type == "latency") {
      metric.type = MetricType::kLatency;
      metric.target = get<double>(m, "target_s", 0, w);
      metric.percentile = get<int>(m, "percentile", 95, w);
      if (metric.percentile != 50 && metric.percentile != 90 && metric.percentile != 95 &&
          metric.percentile != 99) {
        fail(ErrorKind::kInvalidInput, "{}.percentile must be 50, 90, 95 or 99", w);
      }
    } else if (type == "queue") {
      metric.type = MetricType::kQueue;
      metric.target = get<double>(m, "target_per_pod", 0, w);
    } else {
      fail(ErrorKind::kInvalidInput, "{}.type '{}' is not cpu, latency or queue", w, type);
    }
    if (!(metric.target > 0)) fail(ErrorKind::kInvalidInput, "{}: target must be > 0", w);
    plan.metrics.push_back(metric);
  }
  if (const YAML::Node b = as["behavior"]) {
    check_keys(b, {"scaleUp", "scaleDown"}, aw + ".behavior");
    plan.behavior.scale_up =
        parse_rules(b["scaleUp"], plan.behavior.scale_up, aw + ".behavior.scaleUp");
    plan.behavior.scale_down =
        parse_rules(b["scaleDown"], plan.behavior.scale_down, aw + ".behavior.scaleDown");
  }
  for (const auto& pool : plan.pools) {  // validates behaviour, bounds, tolerance
    HpaController check(pool.min_replicas, pool.max_replicas, plan.behavior, plan.tolerance);
  }
  return plan;
}

PlanSpec load_plan(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kNotFound, "plan '{}' cannot be opened", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_plan(ss.str(), path);
}

}  // namespace dsinfer::plan
