// Reading the server's /metrics (Prometheus text exposition): one sample family summed, e.g.
// process_cpu_seconds_total for the per-replica CPU of a load level, and histograms, e.g. the
// server-side TTFT of a level as Prometheus' histogram_quantile() would report it.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace dsinfer::client {

// The sum of every sample named exactly `name` (any labels) in `text`, or nullopt when none
// is present. Comment lines and malformed lines are skipped; never throws.
std::optional<double> prometheus_sample_sum(std::string_view text, std::string_view name);

// A histogram's cumulative bucket counts, summed over its other labels, by upper bound
// (ascending; the last bound is +Inf).
struct HistogramSnapshot {
  std::vector<double> upper_bounds;
  std::vector<double> cumulative;
};

// The histogram `name` (samples `name_bucket{le="..."}`), or nullopt when absent.
std::optional<HistogramSnapshot> prometheus_histogram(std::string_view text, std::string_view name);

// The q-quantile (0 < q < 1) of the observations made between two snapshots of one histogram,
// interpolated linearly inside its bucket as histogram_quantile() does (a quantile in the +Inf
// bucket is the highest finite bound). nullopt when nothing was observed in between or the
// snapshots' buckets differ.
std::optional<double> histogram_quantile_between(double q, const HistogramSnapshot& before,
                                                 const HistogramSnapshot& after);

// Observations between two snapshots (0 when the buckets differ).
double histogram_count_between(const HistogramSnapshot& before, const HistogramSnapshot& after);

}  // namespace dsinfer::client
