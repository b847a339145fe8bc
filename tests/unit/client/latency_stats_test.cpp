// Client layer: percentiles by linear interpolation between closest ranks (Hyndman-Fan 7).
#include <gtest/gtest.h>

#include "base/error.h"
#include "client/latency_stats.h"

namespace dsinfer::client {
namespace {

TEST(Quantile, MatchesDefinitionSevenOnSmallSamples) {
  const std::vector<double> x = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile_sorted(x, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.5), 2.5);    // h = 1.5
  EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.9), 3.7);    // h = 2.7
  EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.95), 3.85);  // h = 2.85
}

TEST(Quantile, OneToHundred) {
  std::vector<double> x;
  for (int i = 1; i <= 100; ++i) x.push_back(i);
  // numpy.percentile(range(1, 101), [50, 90, 95, 99]) = 50.5, 90.1, 95.05, 99.01
  EXPECT_NEAR(quantile_sorted(x, 0.50), 50.5, 1e-12);
  EXPECT_NEAR(quantile_sorted(x, 0.90), 90.1, 1e-12);
  EXPECT_NEAR(quantile_sorted(x, 0.95), 95.05, 1e-12);
  EXPECT_NEAR(quantile_sorted(x, 0.99), 99.01, 1e-12);
}

TEST(Quantile, SingleSampleAndErrors) {
  EXPECT_DOUBLE_EQ(quantile_sorted({7.0}, 0.99), 7.0);
  EXPECT_THROW(quantile_sorted({}, 0.5), Error);
  EXPECT_THROW(quantile_sorted({1.0}, 1.5), Error);
  EXPECT_THROW(quantile_sorted({1.0}, -0.1), Error);
}

TEST(Summarize, SortsAndSummarises) {
  const Distribution d = summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(d.count, 5u);
  EXPECT_DOUBLE_EQ(d.mean, 3.0);
  EXPECT_DOUBLE_EQ(d.min, 1.0);
  EXPECT_DOUBLE_EQ(d.max, 5.0);
  EXPECT_DOUBLE_EQ(d.p50, 3.0);
  EXPECT_DOUBLE_EQ(d.p90, 4.6);
  EXPECT_DOUBLE_EQ(d.p99, 4.96);
  EXPECT_EQ(summarize({}).count, 0u);
}

}  // namespace
}  // namespace dsinfer::client
