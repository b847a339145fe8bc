// Latency statistics of a benchmark: percentiles (linear interpolation between closest ranks)
// and the summary of one distribution (count, mean, min, max, p50/p90/p95/p99).
#pragma once

#include <cstddef>
#include <vector>

namespace dsinfer::client {

// Summary of one sample distribution; every value is in the sample's unit (seconds here).
// All fields are 0 when count == 0 (writers print them as null).
struct Distribution {
  std::size_t count = 0;
  double mean = 0;
  double min = 0;
  double max = 0;
  double p50 = 0;
  double p90 = 0;
  double p95 = 0;
  double p99 = 0;
};

// The q-quantile (0 <= q <= 1) of `sorted` (ascending, non-empty), by linear interpolation
// between the closest ranks: h = (n - 1) * q, result = x[floor h] + (h - floor h) *
// (x[floor h + 1] - x[floor h]). This is Hyndman & Fan's definition 7 (numpy's default).
// Throws Error(kInvalidInput) when `sorted` is empty or q is outside [0, 1].
double quantile_sorted(const std::vector<double>& sorted, double q);

// Summarises `samples` (any order; taken by value and sorted). Empty input gives count 0.
Distribution summarize(std::vector<double> samples);

}  // namespace dsinfer::client
