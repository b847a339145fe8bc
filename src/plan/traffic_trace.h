// Offered load over time for the planner: a CSV trace (`time,requests_per_s`) or a built-in
// shape (diurnal, ramp, spike, seed), sampled with linear interpolation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer::plan {

class TrafficTrace {
 public:
  struct Point {
    double time_s;
    double rps;
  };
  // Points with strictly increasing times starting at 0 and rps >= 0; throws Error otherwise.
  explicit TrafficTrace(std::vector<Point> points, std::string name);

  // CSV text: optional header `time,requests_per_s`, then `seconds,rate` rows ('#' comments and
  // blank lines skipped). Errors name `origin:line`.
  static TrafficTrace from_csv(const std::string& text, const std::string& origin);
  static TrafficTrace load_csv(const std::string& path);

  // NOTE: built-in shapes, `NAME[:key=value,...]` (keys: peak, base, hours, seed). diurnal: a
  // raised cosine between base (04:00) and peak (16:00); ramp: base → peak linearly; spike: base
  // at peak for 10 minutes at the middle; seed: the docs/planning.md scenario — diurnal
  // plus one 8-minute burst (+60 % of the hour's load) every 2 h and ±10 % minute-level noise
  // drawn from `seed`. One point per minute. Throws Error on an unknown name or key.
  static TrafficTrace builtin(const std::string& spec);

  double rps_at(double time_s) const;  // linear; the last value after the end
  double duration_s() const { return points_.back().time_s; }
  const std::string& name() const { return name_; }
  const std::vector<Point>& points() const { return points_; }

 private:
  std::vector<Point> points_;
  std::string name_;
};

// A CSV trace or a built-in shape: an existing file path is read as CSV, anything else as a
// built-in spec.
TrafficTrace load_trace(const std::string& spec);

}  // namespace dsinfer::plan
