// Reading /metrics: sample sums and histogram quantiles between two scrapes.
#include "client/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace dsinfer::client {
namespace {

TEST(PrometheusText, SumsOneFamily) {
  const std::string text =
      "# HELP process_cpu_seconds_total CPU\n# TYPE process_cpu_seconds_total counter\n"
      "process_cpu_seconds_total 12.5\nprocess_cpu_seconds_total_extra 99\n"
      "process_cpu_seconds_total{pod=\"a}b\"} 0.5 1700000000\nother 1\n";
  EXPECT_DOUBLE_EQ(*prometheus_sample_sum(text, "process_cpu_seconds_total"), 13.0);
  EXPECT_FALSE(prometheus_sample_sum(text, "missing").has_value());
  EXPECT_FALSE(
      prometheus_sample_sum("process_cpu_seconds_total abc\n", "process_cpu_seconds_total"));
}

// A TTFT histogram with buckets 0.1, 0.5, 1, +Inf; counts are cumulative.
std::string ttft(int le01, int le05, int le1, int inf) {
  return "# TYPE t histogram\n"
         "t_bucket{le=\"0.1\"} " +
         std::to_string(le01) +
         "\n"
         "t_bucket{le=\"0.5\"} " +
         std::to_string(le05) +
         "\n"
         "t_bucket{le=\"1\"} " +
         std::to_string(le1) +
         "\n"
         "t_bucket{le=\"+Inf\"} " +
         std::to_string(inf) +
         "\n"
         "t_sum 12\nt_count " +
         std::to_string(inf) + "\n";
}

TEST(PrometheusText, HistogramBucketsSumOverOtherLabels) {
  const std::string text =
      "t_bucket{route=\"/a\",le=\"0.5\"} 3\nt_bucket{le=\"+Inf\",route=\"/a\"} 4\n"
      "t_bucket{route=\"/b\",le=\"0.5\"} 1\nt_bucket{route=\"/b\",le=\"+Inf\"} 1\n"
      "t_bucket_extra{le=\"0.5\"} 100\nt_count 5\n";
  const auto h = prometheus_histogram(text, "t");
  ASSERT_TRUE(h);
  ASSERT_EQ(h->upper_bounds.size(), 2u);
  EXPECT_DOUBLE_EQ(h->upper_bounds[0], 0.5);
  EXPECT_DOUBLE_EQ(h->cumulative[0], 4);
  EXPECT_TRUE(std::isinf(h->upper_bounds[1]));
  EXPECT_DOUBLE_EQ(h->cumulative[1], 5);
  EXPECT_FALSE(prometheus_histogram(text, "missing"));
  EXPECT_FALSE(prometheus_histogram("t_bucket{le=\"0.5\"} 3\n", "t")) << "no +Inf bucket";
}

TEST(PrometheusText, QuantileOfTheObservationsBetweenTwoScrapes) {
  const auto before = *prometheus_histogram(ttft(5, 5, 5, 5), "t");
  // 20 new observations: 0 below 0.1, 10 in (0.1, 0.5], 8 in (0.5, 1], 2 above 1.
  const auto after = *prometheus_histogram(ttft(5, 15, 23, 25), "t");
  EXPECT_DOUBLE_EQ(histogram_count_between(before, after), 20);
  // rank 10 of 20: the last of the (0.1, 0.5] bucket -> its upper bound.
  EXPECT_DOUBLE_EQ(*histogram_quantile_between(0.5, before, after), 0.5);
  // rank 12: 2 of the 8 in (0.5, 1] -> 0.5 + 0.5 * 2/8.
  EXPECT_DOUBLE_EQ(*histogram_quantile_between(0.6, before, after), 0.625);
  // rank 19 falls in +Inf: the highest finite bound, as histogram_quantile() answers.
  EXPECT_DOUBLE_EQ(*histogram_quantile_between(0.95, before, after), 1.0);
  // Nothing observed in between, or two different histograms: no quantile.
  EXPECT_FALSE(histogram_quantile_between(0.95, after, after));
  const auto other = *prometheus_histogram("t_bucket{le=\"2\"} 1\nt_bucket{le=\"+Inf\"} 9\n", "t");
  EXPECT_FALSE(histogram_quantile_between(0.95, before, other));
}

}  // namespace
}  // namespace dsinfer::client
