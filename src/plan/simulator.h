// The planner's simulation: a traffic trace served by autoscaled pools of replicas that behave
// like the capacity curve, one HPA per pool, spot interruptions; timeline and summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/capacity_model.h"
#include "plan/plan_config.h"
#include "plan/traffic_trace.h"

namespace dsinfer::plan {

// One sampled instant (every `sample_period_s`).
struct TimelineRow {
  double time_s = 0;
  double offered_rps = 0;
  double served_rps = 0;
  double backlog = 0;          // requests waiting beyond the ready replicas' throughput
  double p95_s = 0;            // e2e p95 of requests arriving now (queue wait included)
  double cpu_utilization = 0;  // percent of the CPU request, per ready replica
  std::vector<int> ready;      // per pool
  std::vector<int> total;      // per pool: desired replicas (starting + ready)
};

struct ScaleEvent {
  double time_s;
  std::size_t pool;
  int from;
  int to;
  bool ineffective = false;
};

struct PoolResult {
  std::string name;
  double replica_hours = 0;  // every pod that exists (starting, ready, draining)
  double cost = 0;
  int scale_ups = 0, scale_downs = 0, ineffective = 0, interruptions = 0;
  int peak_replicas = 0;
};

struct SimulationResult {
  std::string plan_name;
  double slo_s = 0;
  double duration_s = 0;
  double requests = 0;           // offered
  double requests_over_slo = 0;  // estimated from the latency distribution
  double seconds_over_slo = 0;   // seconds with p95 > SLO
  double max_backlog = 0;
  std::vector<PoolResult> pools;
  std::vector<ScaleEvent> events;
  std::vector<TimelineRow> timeline;
  double total_cost() const;
  int scale_events() const;
  int ineffective_events() const;
};

struct SimulationOptions {
  double step_s = 1.0;
  double sample_period_s = 15.0;
  std::uint64_t seed = 1;
};

// NOTE: fixed time step (step_s). Each step: pods finish starting / draining; spot pods are
// interrupted with probability 1 − exp(−rate·dt) (drained for notice_s, replaced at once);
// offered load is split evenly over ready replicas; the excess over their throughput (the
// curve's maximum) joins one FIFO backlog, served at that throughput, so a new request waits
// backlog / throughput on top of the curve's latency at the served load. Every sync period each
// pool's HPA sees the per-pod metrics of `metric_lag_s` earlier. Deterministic for a seed.
// Throws Error when a plan metric needs what the curve lacks (CPU).
SimulationResult simulate(const PlanSpec& plan, const CapacityModel& curve,
                          const TrafficTrace& trace, const SimulationOptions& options);

// Marks scale events reversed within `horizon_s` on the same pool (a scale-up undone by a
// scale-down, or a scale-down undone by a scale-up — oscillation) as ineffective; returns the
// count.
int mark_ineffective(std::vector<ScaleEvent>& events, double horizon_s);

}  // namespace dsinfer::plan
