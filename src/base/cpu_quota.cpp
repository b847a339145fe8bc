// CPU count of this process: affinity mask capped by the cgroup v2 / v1 CPU quota, the quota
// found on the process's own cgroup or any ancestor (a limit set on a parent counts).
#include "base/cpu_quota.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace dsinfer {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<int64_t> parse_int(std::string_view s) {
  s = trim(s);
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<double> min_quota(std::optional<double> a, std::optional<double> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// Paths of this process's cgroup from /proc/self/cgroup: the v2 path ("0::/x") and the v1 path
// of the cpu controller ("N:cpu,cpuacct:/x").
struct CgroupPaths {
  std::string v2;
  std::string v1_cpu;
};

CgroupPaths read_cgroup_paths(const std::string& self_cgroup) {
  CgroupPaths out;
  const auto text = read_small_file(self_cgroup);
  if (!text) return out;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && controllers.empty()) {
      out.v2 = path;
    } else {
      std::istringstream cs(controllers);
      std::string c;
      while (std::getline(cs, c, ',')) {
        if (c == "cpu") out.v1_cpu = path;
      }
    }
  }
  return out;
}

// Every ancestor of `path` ("/a/b" -> "/a/b", "/a", ""), so a limit set on a parent counts.
std::vector<std::string> ancestors(std::string path) {
  std::vector<std::string> out;
  while (!path.empty() && path.back() == '/') path.pop_back();
  for (;;) {
    out.push_back(path);
    if (path.empty()) break;
    const size_t slash = path.rfind('/');
    path = slash == std::string::npos ? std::string() : path.substr(0, slash);
  }
  return out;
}

}  // namespace

std::optional<double> cgroup_cpu_quota(const CgroupFiles& files) {
  const CgroupPaths paths = read_cgroup_paths(files.self_cgroup);
  std::optional<double> quota;
  for (const auto& dir : ancestors(paths.v2)) {
    if (const auto text = read_small_file(files.mount + dir + "/cpu.max")) {
      quota = min_quota(quota, parse_cgroup_v2_cpu_max(*text));
    }
  }
  for (const char* controller : {"/cpu", "/cpu,cpuacct"}) {
    for (const auto& dir : ancestors(paths.v1_cpu)) {
      const std::string base = files.mount + controller + dir;
      const auto q = read_small_file(base + "/cpu.cfs_quota_us");
      const auto p = read_small_file(base + "/cpu.cfs_period_us");
      if (q && p) quota = min_quota(quota, parse_cgroup_v1_cpu_quota(*q, *p));
    }
  }
  return quota;
}

std::optional<double> parse_cgroup_v2_cpu_max(std::string_view contents) {
  contents = trim(contents);
  const size_t space = contents.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view quota = trim(contents.substr(0, space));
  if (quota == "max") return std::nullopt;
  const auto q = parse_int(quota);
  const auto p = parse_int(contents.substr(space + 1));
  if (!q || !p || *q <= 0 || *p <= 0) return std::nullopt;
  return static_cast<double>(*q) / static_cast<double>(*p);
}

std::optional<double> parse_cgroup_v1_cpu_quota(std::string_view quota_us,
                                                std::string_view period_us) {
  const auto q = parse_int(quota_us);
  const auto p = parse_int(period_us);
  if (!q || !p || *q <= 0 || *p <= 0) return std::nullopt;
  return static_cast<double>(*q) / static_cast<double>(*p);
}

int cpu_count_from(int affinity_cpus, std::optional<double> quota_cpus) {
  int n = std::max(affinity_cpus, 1);
  if (quota_cpus && *quota_cpus > 0) {
    // Subtract a hair before ceil so 2.0000000001 from rounding still means 2.
    const double q = std::ceil(*quota_cpus - 1e-9);
    if (q < n) n = static_cast<int>(q);
  }
  return std::max(n, 1);
}

int usable_cpu_count() {
  int affinity = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    affinity = CPU_COUNT(&set);
  } else {
    affinity = static_cast<int>(std::thread::hardware_concurrency());
  }
  return cpu_count_from(affinity, cgroup_cpu_quota());
}

}  // namespace dsinfer
