// The capacity curve of `dsinfer bench sweep`: the levels' summaries, the SLO capacity (the
// highest load meeting a p95 target), and its JSON / CSV / SVG forms (format: docs/bench.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/bench_report.h"

namespace dsinfer::client {

// e2e and ttft as the client saw them; server_ttft from the server's TTFT histogram (for the
// translation APIs, whose stream carries whole segments, the only real time to first token).
enum class SloMetric { kE2e, kTtft, kServerTtft };

// "e2e" | "ttft" | "server_ttft"; throws Error(kInvalidInput) otherwise.
SloMetric parse_slo_metric(std::string_view name);
const char* slo_metric_name(SloMetric metric);

struct SloSpec {
  SloMetric metric = SloMetric::kE2e;
  double p95_s = 0.5;            // the p95 latency target, seconds
  double max_error_rate = 0.01;  // a level failing more requests than this misses the SLO
};

// Whether one level meets the SLO: at least one request succeeded, p95 of the metric <=
// target and error rate <= max_error_rate.
bool meets_slo(const LevelSummary& level, const SloSpec& slo);

// NOTE: the capacity is the highest level such that it AND every lower level meet the SLO
// (levels sorted by offered load): a level that passes above a failing one is noise, not
// capacity. Returns the index into `levels`, or nullopt when even the lowest level misses.
std::optional<std::size_t> slo_capacity_index(const std::vector<LevelSummary>& levels,
                                              const SloSpec& slo);

// NOTE: a capacity is "compute" capacity only when no level up to it is cache-dominated
// (CacheShare::cache_dominated); otherwise it is what the server's translation cache sustained.
// Returns "compute" or "cache".
const char* capacity_basis(const std::vector<LevelSummary>& levels, std::size_t capacity_index);

// The whole curve as JSON ("dsinfer.capacity_curve/v1"). `run` is stored as is under "run"
// (url, api, model, workload...). `slo` absent: no SLO fields are evaluated (null).
nlohmann::json capacity_curve_json(const nlohmann::json& run,
                                   const std::vector<LevelSummary>& levels,
                                   const std::optional<SloSpec>& slo);

// One CSV row per level (header first; seconds; empty cells for undefined values).
std::string capacity_curve_csv(const std::vector<LevelSummary>& levels,
                               const std::optional<SloSpec>& slo);

// The chart: latency percentiles (e2e p50/p95/p99, TTFT p95, server TTFT p95) vs offered load with
// the SLO line and the SLO capacity marked, above throughput (output tok/s) vs offered load.
std::string capacity_curve_svg(const std::vector<LevelSummary>& levels,
                               const std::optional<SloSpec>& slo, const std::string& title,
                               const std::string& subtitle = {});

}  // namespace dsinfer::client
