// Tests of the usable CPU count: cgroup v2 / v1 quota parsing, the quota read from a fake cgroup
// tree as a pod's container sees it (a CPU limit of 8 -> 8 threads), and the affinity cap.
#include "base/cpu_quota.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace dsinfer {
namespace {

namespace fs = std::filesystem;

// A throw-away directory holding /proc/self/cgroup and the cgroup mount of one test.
class FakeCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("cpu_quota_test." + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "." + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "sys");
    files_.self_cgroup = (root_ / "self_cgroup").string();
    files_.mount = (root_ / "sys").string();
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) {
    const fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path root_;
  CgroupFiles files_;
};

// What a container with `resources.limits.cpu: "8"` sees: its own cgroup namespace ("0::/") and
// cpu.max = 8 x the 100 ms period, written by the kubelet from the limit.
TEST_F(FakeCgroup, PodCpuLimitBecomesTheThreadCount) {
  write("self_cgroup", "0::/\n");
  write("sys/cpu.max", "800000 100000\n");
  ASSERT_TRUE(cgroup_cpu_quota(files_).has_value());
  EXPECT_DOUBLE_EQ(*cgroup_cpu_quota(files_), 8.0);
  EXPECT_EQ(cpu_count_from(64, cgroup_cpu_quota(files_)), 8);
}

TEST_F(FakeCgroup, FractionalLimitRoundsUp) {
  write("self_cgroup", "0::/\n");
  write("sys/cpu.max", "250000 100000\n");  // limits.cpu: 2500m
  EXPECT_EQ(cpu_count_from(64, cgroup_cpu_quota(files_)), 3);
}

TEST_F(FakeCgroup, NoLimitMeansTheAffinityMask) {
  write("self_cgroup", "0::/\n");
  write("sys/cpu.max", "max 100000\n");
  EXPECT_FALSE(cgroup_cpu_quota(files_).has_value());
  EXPECT_EQ(cpu_count_from(12, cgroup_cpu_quota(files_)), 12);
}

// Without a cgroup namespace the process sits deep in the host tree; the smallest quota on the
// way up (here the pod-level cgroup's) counts.
TEST_F(FakeCgroup, SmallestQuotaOfAncestorsCounts) {
  write("self_cgroup", "0::/kubepods.slice/pod1/ctr\n");
  write("sys/kubepods.slice/cpu.max", "max 100000\n");
  write("sys/kubepods.slice/pod1/cpu.max", "400000 100000\n");
  write("sys/kubepods.slice/pod1/ctr/cpu.max", "1600000 100000\n");
  EXPECT_DOUBLE_EQ(*cgroup_cpu_quota(files_), 4.0);
}

TEST_F(FakeCgroup, CgroupV1Quota) {
  write("self_cgroup", "12:memory:/pod\n4:cpu,cpuacct:/pod\n");
  write("sys/cpu,cpuacct/pod/cpu.cfs_quota_us", "600000\n");
  write("sys/cpu,cpuacct/pod/cpu.cfs_period_us", "100000\n");
  write("sys/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  write("sys/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  EXPECT_DOUBLE_EQ(*cgroup_cpu_quota(files_), 6.0);
}

TEST_F(FakeCgroup, MissingOrGarbledFilesMeanNoQuota) {
  EXPECT_FALSE(cgroup_cpu_quota(files_).has_value());  // no /proc/self/cgroup at all
  write("self_cgroup", "garbage without colons\n");
  EXPECT_FALSE(cgroup_cpu_quota(files_).has_value());
  write("self_cgroup", "0::/\n");
  write("sys/cpu.max", "lots 100000\n");
  EXPECT_FALSE(cgroup_cpu_quota(files_).has_value());
}

TEST(CpuCount, ParsesCgroupV2CpuMax) {
  EXPECT_FALSE(parse_cgroup_v2_cpu_max("max 100000\n").has_value());
  EXPECT_DOUBLE_EQ(*parse_cgroup_v2_cpu_max("200000 100000\n"), 2.0);
  EXPECT_DOUBLE_EQ(*parse_cgroup_v2_cpu_max("150000 100000"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_cgroup_v2_cpu_max("50000 100000"), 0.5);
  EXPECT_FALSE(parse_cgroup_v2_cpu_max("").has_value());
  EXPECT_FALSE(parse_cgroup_v2_cpu_max("garbage").has_value());
  EXPECT_FALSE(parse_cgroup_v2_cpu_max("100 0").has_value());
  EXPECT_FALSE(parse_cgroup_v2_cpu_max("-5 100000").has_value());
}

TEST(CpuCount, ParsesCgroupV1Quota) {
  EXPECT_FALSE(parse_cgroup_v1_cpu_quota("-1\n", "100000\n").has_value());
  EXPECT_DOUBLE_EQ(*parse_cgroup_v1_cpu_quota("300000\n", "100000\n"), 3.0);
  EXPECT_DOUBLE_EQ(*parse_cgroup_v1_cpu_quota("25000", "100000"), 0.25);
  EXPECT_FALSE(parse_cgroup_v1_cpu_quota("abc", "100000").has_value());
  EXPECT_FALSE(parse_cgroup_v1_cpu_quota("1000", "0").has_value());
}

TEST(CpuCount, CombinesAffinityAndQuota) {
  EXPECT_EQ(cpu_count_from(8, std::nullopt), 8);
  EXPECT_EQ(cpu_count_from(8, 2.0), 2);
  EXPECT_EQ(cpu_count_from(8, 1.5), 2);   // rounded up
  EXPECT_EQ(cpu_count_from(8, 0.25), 1);  // at least 1
  EXPECT_EQ(cpu_count_from(2, 16.0), 2);  // affinity caps
  EXPECT_EQ(cpu_count_from(0, std::nullopt), 1);
}

TEST(CpuCount, UsableCpuCountIsSane) {
  const int n = usable_cpu_count();
  EXPECT_GE(n, 1);
  EXPECT_LE(n, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

}  // namespace
}  // namespace dsinfer
