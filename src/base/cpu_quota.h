// How many CPUs this process may use: the affinity mask capped by the cgroup CPU quota (v2
// `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`). In a Kubernetes pod the quota is the
// container's `resources.limits.cpu`, so the default compute thread count follows the CPU limit.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dsinfer {

// Where the cgroup files are read from; tests point both at a fake tree.
struct CgroupFiles {
  std::string self_cgroup = "/proc/self/cgroup";  // "0::/path" (v2), "N:cpu,cpuacct:/path" (v1)
  std::string mount = "/sys/fs/cgroup";           // v2 mount; v1 controllers below it (cpu/)
};

// The smallest CPU quota (in CPUs, not rounded) set on this process's cgroup or any ancestor,
// v2 and v1 both considered; nullopt when none is set or the files are missing / unparsable.
std::optional<double> cgroup_cpu_quota(const CgroupFiles& files = {});

// CPUs this process may use: the affinity mask, capped by cgroup_cpu_quota() rounded up, at
// least 1. Reads /proc and /sys on every call (cheap; call once at start-up).
int usable_cpu_count();

// Parses the contents of a cgroup v2 `cpu.max` file ("max 100000" or "150000 100000") into a
// CPU count (quota / period, not rounded); nullopt when unlimited or unparsable.
std::optional<double> parse_cgroup_v2_cpu_max(std::string_view contents);

// Parses cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` contents; nullopt when the quota
// is -1 (unlimited) or either is unparsable / non-positive.
std::optional<double> parse_cgroup_v1_cpu_quota(std::string_view quota_us,
                                                std::string_view period_us);

// Combines an affinity count with an optional quota: min(affinity, ceil(quota)), at least 1.
int cpu_count_from(int affinity_cpus, std::optional<double> quota_cpus);

}  // namespace dsinfer
