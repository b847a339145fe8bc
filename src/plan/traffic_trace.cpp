// Traffic traces: CSV parsing, built-in shapes, interpolation.
#include "plan/traffic_trace.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <random>
#include <sstream>

#include "base/error.h"

namespace dsinfer::plan {

TrafficTrace::TrafficTrace(std::vector<Point> points, std::string name)
    : points_(std::move(points)), name_(std::move(name)) {
  if (points_.size() < 2) fail(ErrorKind::kInvalidInput, "trace {}: needs >= 2 points", name_);
  if (points_.front().time_s != 0) {
    fail(ErrorKind::kInvalidInput, "trace {}: first time must be 0", name_);
  }
  for (std::size_t i = 0; i < points_.size(); ++i) {
    if (!(points_[i].rps >= 0) || !std::isfinite(points_[i].rps)) {
      fail(ErrorKind::kInvalidInput, "trace {}: point {}: rate must be finite and >= 0", name_, i);
    }
    if (i > 0 && !(points_[i].time_s > points_[i - 1].time_s)) {
      fail(ErrorKind::kInvalidInput, "trace {}: point {}: times must increase", name_, i);
    }
  }
}

namespace {

double parse_number(const std::string& s, const std::string& where) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    fail(ErrorKind::kInvalidInput, "{}: '{}' is not a number", where, s);
  }
  while (used < s.size() && std::isspace(static_cast<unsigned char>(s[used]))) ++used;
  if (used != s.size() || !std::isfinite(v)) {
    fail(ErrorKind::kInvalidInput, "{}: '{}' is not a number", where, s);
  }
  return v;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

TrafficTrace TrafficTrace::from_csv(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  std::vector<Point> points;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto comma = line.find(',');
    const std::string where = fmt::format("{}:{}", origin, n);
    if (comma == std::string::npos) fail(ErrorKind::kInvalidInput, "{}: expected time,rate", where);
    const std::string a = trim(line.substr(0, comma));
    const std::string b = trim(line.substr(comma + 1));
    if (points.empty() && a == "time") continue;  // header
    points.push_back({parse_number(a, where), parse_number(b, where)});
  }
  return TrafficTrace(std::move(points), origin);
}

TrafficTrace TrafficTrace::load_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kNotFound, "trace '{}' cannot be opened", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return from_csv(ss.str(), path);
}

TrafficTrace TrafficTrace::builtin(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  std::map<std::string, double> kv = {{"peak", 40}, {"base", 8}, {"hours", 24}, {"seed", 1}};
  if (colon != std::string::npos) {
    std::istringstream in(spec.substr(colon + 1));
    std::string item;
    while (std::getline(in, item, ',')) {
      const auto eq = item.find('=');
      const std::string key = item.substr(0, eq);
      if (eq == std::string::npos || !kv.count(key)) {
        fail(ErrorKind::kInvalidInput,
             "trace '{}': '{}' is not one of peak=, base=, hours=, seed=", spec, item);
      }
      kv[key] = parse_number(item.substr(eq + 1), fmt::format("trace '{}' {}", spec, key));
    }
  }
  const double peak = kv["peak"], base = kv["base"], hours = kv["hours"];
  if (!(peak >= 0 && base >= 0 && hours > 0 && hours <= 24 * 31)) {
    fail(ErrorKind::kInvalidInput, "trace '{}': needs peak, base >= 0 and 0 < hours <= 744", spec);
  }
  const int minutes = int(std::lround(hours * 60));
  const auto diurnal = [&](double t_s) {
    const double day = std::fmod(t_s / 3600.0, 24.0);                           // hour of day
    const double phase = std::cos((day - 16.0) / 24.0 * 2 * std::numbers::pi);  // 1 at 16:00
    return base + (peak - base) * (1 + phase) / 2;                              // min at 04:00
  };
  std::vector<Point> points;
  if (name == "diurnal") {
    for (int m = 0; m <= minutes; ++m) points.push_back({m * 60.0, diurnal(m * 60.0)});
  } else if (name == "ramp") {
    for (int m = 0; m <= minutes; ++m) {
      points.push_back({m * 60.0, base + (peak - base) * m / double(minutes)});
    }
  } else if (name == "spike") {
    const int mid = minutes / 2;
    for (int m = 0; m <= minutes; ++m) {
      points.push_back({m * 60.0, (m >= mid && m < mid + 10) ? peak : base});
    }
  } else if (name == "seed") {
    std::mt19937_64 rng(static_cast<std::uint64_t>(kv["seed"]));
    for (int m = 0; m <= minutes; ++m) {
      double r = diurnal(m * 60.0);
      if (m % 120 >= 60 && m % 120 < 68) r *= 1.6;  // the burst: minutes 60..67 of every 2 h
      // top 53 bits → [0,1), then ±10 %
      const double u = double(rng() >> 11) / 9007199254740992.0;
      points.push_back({m * 60.0, r * (0.9 + 0.2 * u)});
    }
  } else {
    fail(ErrorKind::kInvalidInput,
         "trace '{}' is neither a file nor one of diurnal, ramp, spike, seed", spec);
  }
  return TrafficTrace(std::move(points), spec);
}

double TrafficTrace::rps_at(double t) const {
  if (t <= 0) return points_.front().rps;
  if (t >= points_.back().time_s) return points_.back().rps;
  const auto hi = std::upper_bound(points_.begin(), points_.end(), t,
                                   [](double v, const Point& p) { return v < p.time_s; });
  const auto& b = *hi;
  const auto& a = *(hi - 1);
  return a.rps + (t - a.time_s) / (b.time_s - a.time_s) * (b.rps - a.rps);
}

TrafficTrace load_trace(const std::string& spec) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(spec, ec)) return TrafficTrace::load_csv(spec);
  return TrafficTrace::builtin(spec);
}

}  // namespace dsinfer::plan
