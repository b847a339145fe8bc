// One replica's measured behaviour for the planner: the capacity curve of `dsinfer bench sweep`
// (docs/bench.md, "dsinfer.capacity_curve/v1") as latency percentiles and CPU vs throughput.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dsinfer::plan {

// The e2e latency distribution and CPU of one replica serving `rps` successful requests/s.
struct CapacityPoint {
  double rps = 0;
  double cpu_cores = 0;  // 0 when the curve has no CPU
  double min_s = 0, p50_s = 0, p90_s = 0, p95_s = 0, p99_s = 0, max_s = 0;
};

class CapacityModel {
 public:
  // Points in any order, sorted by throughput (a repeated throughput keeps the first); latency
  // percentiles are made non-decreasing in throughput (noise). Throws
  // Error(kInvalidInput) when no point has rps > 0.
  CapacityModel(std::vector<CapacityPoint> points, bool has_cpu,
                std::optional<double> slo_target_s);

  // Parses the curve JSON (`origin` names it in errors), keeping the levels up to the one with
  // the highest throughput (levels past it are overload, not capacity): each level's
  // throughput.requests_per_s, latency_s.e2e percentiles and replica.cpu_cores. Throws
  // Error(kBadFile) on another schema or a malformed level, and on a level answered mostly from
  // the translation cache (cache.cache_dominated) unless the run asked for repeats
  // (run.workload.repeat_share > 0): such a level measures the cache, not compute.
  static CapacityModel from_json(const std::string& text, const std::string& origin);
  static CapacityModel load(const std::string& path);

  // NOTE: linear interpolation between levels by throughput. Below the lowest level the latency
  // is the lowest level's and the CPU goes linearly to 0 at 0 requests/s; above max_rps() the
  // values of the highest-throughput level (the caller queues the excess).
  CapacityPoint at(double rps) const;
  double max_rps() const { return points_.back().rps; }
  bool has_cpu() const { return has_cpu_; }
  std::optional<double> slo_target_s() const { return slo_target_s_; }
  const std::vector<CapacityPoint>& points() const { return points_; }

 private:
  std::vector<CapacityPoint> points_;
  bool has_cpu_;
  std::optional<double> slo_target_s_;
};

// The share of requests whose latency exceeds `slo_s`, when every latency of `p` is shifted
// by `wait_s`: a piecewise-linear CDF through (min,0) (p50,.5) (p90,.9) (p95,.95) (p99,.99)
// (max,1).
double share_over(const CapacityPoint& p, double wait_s, double slo_s);

}  // namespace dsinfer::plan
