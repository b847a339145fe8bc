// Percentiles and distribution summaries for benchmark latencies.
#include "client/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/error.h"

namespace dsinfer::client {

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) fail(ErrorKind::kInvalidInput, "quantile of an empty sample");
  if (!(q >= 0.0 && q <= 1.0)) fail(ErrorKind::kInvalidInput, "quantile {} is outside [0, 1]", q);
  // NOTE: Hyndman & Fan (1996) definition 7: rank h = (n-1) q, interpolate between the two
  // neighbouring order statistics. p0 = min, p100 = max, and it is continuous in q.
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = h - static_cast<double>(lo);
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

Distribution summarize(std::vector<double> samples) {
  Distribution d;
  if (samples.empty()) return d;
  std::sort(samples.begin(), samples.end());
  d.count = samples.size();
  d.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(d.count);
  d.min = samples.front();
  d.max = samples.back();
  d.p50 = quantile_sorted(samples, 0.50);
  d.p90 = quantile_sorted(samples, 0.90);
  d.p95 = quantile_sorted(samples, 0.95);
  d.p99 = quantile_sorted(samples, 0.99);
  return d;
}

}  // namespace dsinfer::client
