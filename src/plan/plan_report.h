// The planner's outputs: timeline CSV, SVG chart (our own writer), summary text, the
// side-by-side comparison of several plans, and Helm values in the dsinfer chart's names.
#pragma once

#include <string>
#include <vector>

#include "plan/plan_config.h"
#include "plan/simulator.h"

namespace dsinfer::plan {

// Header `time_s,offered_rps,served_rps,backlog,p95_s,cpu_utilization,<pool>_ready,<pool>_total...`
std::string timeline_csv(const SimulationResult& r, const PlanSpec& plan);

// Two panels over time: offered load (requests/s) with stacked replicas per pool on a second
// axis, and p95 against the SLO line. Self-contained SVG 1.1.
std::string timeline_svg(const SimulationResult& r, const PlanSpec& plan,
                         const std::string& subtitle);

// Human-readable summary: SLO misses (minutes, share of requests), scale events (ineffective),
// replica-hours and cost per pool.
std::string summary_text(const SimulationResult& r);

// One column per result, one row per figure (same rows as the summary).
std::string compare_table(const std::vector<SimulationResult>& results);

// Helm values for deploy/helm/dsinfer (keys `autoscaling` and `pools`). Throws
// Error(kUnsupported) for what the chart cannot express (a queue metric, a latency percentile
// other than 95).
std::string helm_values_yaml(const PlanSpec& plan);

}  // namespace dsinfer::plan
