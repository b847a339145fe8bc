// Capacity curve parsing (bench sweep JSON) and interpolation.
#include "plan/capacity_model.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace dsinfer::plan {

using nlohmann::json;

CapacityModel::CapacityModel(std::vector<CapacityPoint> points, bool has_cpu,
                             std::optional<double> slo_target_s)
    : has_cpu_(has_cpu), slo_target_s_(slo_target_s) {
  std::erase_if(points, [](const CapacityPoint& p) { return !(p.rps > 0); });
  if (points.empty()) {
    fail(ErrorKind::kInvalidInput, "capacity curve has no level with requests_per_s > 0");
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const auto& a, const auto& b) { return a.rps < b.rps; });
  // strictly increasing throughput (a duplicate keeps the first)
  for (const auto& p : points) {
    if (points_.empty() || p.rps > points_.back().rps) points_.push_back(p);
  }
  // NOTE: latency never falls as load rises; a lower percentile at a higher level is measurement
  // noise, so each percentile is made non-decreasing in throughput (running maximum).
  for (std::size_t i = 1; i < points_.size(); ++i) {
    auto& p = points_[i];
    const auto& q = points_[i - 1];
    p.min_s = std::max(p.min_s, q.min_s);
    p.p50_s = std::max(p.p50_s, q.p50_s);
    p.p90_s = std::max(p.p90_s, q.p90_s);
    p.p95_s = std::max(p.p95_s, q.p95_s);
    p.p99_s = std::max(p.p99_s, q.p99_s);
    p.max_s = std::max(p.max_s, q.max_s);
  }
  for (auto& p : points_) {  // percentiles non-decreasing within a level
    p.p50_s = std::max(p.p50_s, p.min_s);
    p.p90_s = std::max(p.p90_s, p.p50_s);
    p.p95_s = std::max(p.p95_s, p.p90_s);
    p.p99_s = std::max(p.p99_s, p.p95_s);
    p.max_s = std::max(p.max_s, p.p99_s);
  }
}

namespace {

// run.workload.repeat_share of a curve (0 when absent: older curves, JSONL workloads).
double repeat_share_of(const json& curve) {
  const auto run = curve.find("run");
  if (run == curve.end() || !run->is_object()) return 0;
  const auto w = run->find("workload");
  if (w == run->end() || !w->is_object()) return 0;
  const auto r = w->find("repeat_share");
  return r != w->end() && r->is_number() ? r->get<double>() : 0;
}

bool cache_dominated(const json& level) {
  if (!level.is_object()) return false;
  const auto c = level.find("cache");
  if (c == level.end() || !c->is_object()) return false;
  const auto d = c->find("cache_dominated");
  return d != c->end() && d->is_boolean() && d->get<bool>();
}

double cached_answer_share(const json& level) {
  const json& t = level["cache"].value("translation", json());
  return t.is_object() && t.value("answer_share", json()).is_number()
             ? t["answer_share"].get<double>()
             : 1.0;
}

}  // namespace

CapacityModel CapacityModel::from_json(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(ErrorKind::kBadFile, "{}: not JSON: {}", origin, e.what());
  }
  if (!j.is_object() || j.value("schema", "") != "dsinfer.capacity_curve/v1") {
    fail(ErrorKind::kBadFile, "{}: not a dsinfer.capacity_curve/v1 file (dsinfer bench sweep)",
         origin);
  }
  if (!j.contains("levels") || !j["levels"].is_array()) {
    fail(ErrorKind::kBadFile, "{}: no levels array", origin);
  }
  std::vector<CapacityPoint> points;
  bool has_cpu = true;
  std::size_t i = 0;
  const bool repeats_asked = repeat_share_of(j) > 0;
  for (const auto& level : j["levels"]) {
    if (!repeats_asked && cache_dominated(level)) {
      fail(ErrorKind::kBadFile,
           "{}: levels[{}] was answered mostly from the translation cache ({:.0f} % of the "
           "segments): it measures the cache, not a replica's compute. Measure again with "
           "distinct segments (the built-in workload, a fresh --seed or server), or model a hit "
           "rate on purpose with dsinfer bench --repeat-share",
           origin, i, cached_answer_share(level) * 100.0);
    }
    try {
      const auto& e2e = level.at("latency_s").at("e2e");
      const double rps = level.at("throughput").at("requests_per_s").get<double>();
      if (e2e.is_null() || rps <= 0) {
        ++i;
        continue;  // nothing succeeded at this level
      }
      CapacityPoint p;
      p.rps = rps;
      p.min_s = e2e.at("min").get<double>();
      p.p50_s = e2e.at("p50").get<double>();
      p.p90_s = e2e.at("p90").get<double>();
      p.p95_s = e2e.at("p95").get<double>();
      p.p99_s = e2e.at("p99").get<double>();
      p.max_s = e2e.at("max").get<double>();
      const json cpu =
          level.contains("replica") ? level["replica"].value("cpu_cores", json()) : json();
      if (cpu.is_number()) {
        p.cpu_cores = cpu.get<double>();
      } else {
        has_cpu = false;
      }
      points.push_back(p);
    } catch (const json::exception& e) {
      fail(ErrorKind::kBadFile, "{}: levels[{}]: {}", origin, i, e.what());
    }
    ++i;
  }
  // levels come in ascending offered load: past the highest throughput is overload
  if (!points.empty()) {
    const auto best = std::max_element(points.begin(), points.end(),
                                       [](const auto& a, const auto& b) { return a.rps < b.rps; });
    points.erase(best + 1, points.end());
  }
  std::optional<double> slo;
  if (j.contains("slo") && j["slo"].is_object() && j["slo"].value("metric", "") == "e2e") {
    slo = j["slo"].value("target_s", 0.0);
  }
  try {
    return CapacityModel(std::move(points), has_cpu, slo);
  } catch (const Error& e) {
    fail(ErrorKind::kBadFile, "{}: {}", origin, e.what());
  }
}

CapacityModel CapacityModel::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kNotFound, "capacity curve '{}' cannot be opened", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json(ss.str(), path);
}

CapacityPoint CapacityModel::at(double rps) const {
  const auto& first = points_.front();
  if (rps <= first.rps) {
    CapacityPoint p = first;
    p.rps = std::max(rps, 0.0);
    p.cpu_cores = first.cpu_cores * p.rps / first.rps;
    return p;
  }
  if (rps >= points_.back().rps) return points_.back();
  const auto hi = std::upper_bound(points_.begin(), points_.end(), rps,
                                   [](double v, const CapacityPoint& p) { return v < p.rps; });
  const auto& b = *hi;
  const auto& a = *(hi - 1);
  const double t = (rps - a.rps) / (b.rps - a.rps);
  const auto lerp = [t](double x, double y) { return x + t * (y - x); };
  CapacityPoint p;
  p.rps = rps;
  p.cpu_cores = lerp(a.cpu_cores, b.cpu_cores);
  p.min_s = lerp(a.min_s, b.min_s);
  p.p50_s = lerp(a.p50_s, b.p50_s);
  p.p90_s = lerp(a.p90_s, b.p90_s);
  p.p95_s = lerp(a.p95_s, b.p95_s);
  p.p99_s = lerp(a.p99_s, b.p99_s);
  p.max_s = lerp(a.max_s, b.max_s);
  return p;
}

double share_over(const CapacityPoint& p, double wait_s, double slo_s) {
  const std::array<double, 6> x = {p.min_s + wait_s, p.p50_s + wait_s, p.p90_s + wait_s,
                                   p.p95_s + wait_s, p.p99_s + wait_s, p.max_s + wait_s};
  const std::array<double, 6> q = {0.0, 0.5, 0.9, 0.95, 0.99, 1.0};
  if (slo_s < x[0]) return 1.0;
  if (slo_s >= x[5]) return 0.0;
  for (std::size_t i = 1; i < x.size(); ++i) {
    if (slo_s < x[i]) {
      const double span = x[i] - x[i - 1];
      const double t = span > 0 ? (slo_s - x[i - 1]) / span : 1.0;
      return 1.0 - (q[i - 1] + t * (q[i] - q[i - 1]));
    }
  }
  return 0.0;
}

}  // namespace dsinfer::plan
