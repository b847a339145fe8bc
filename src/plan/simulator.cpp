// The planner's fixed-step simulation of traffic, replicas, queue, autoscalers and spot pools.
#include "plan/simulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "base/error.h"

namespace dsinfer::plan {

double SimulationResult::total_cost() const {
  double c = 0;
  for (const auto& p : pools) c += p.cost;
  return c;
}

int SimulationResult::scale_events() const { return int(events.size()); }

int SimulationResult::ineffective_events() const {
  return int(
      std::count_if(events.begin(), events.end(), [](const auto& e) { return e.ineffective; }));
}

int mark_ineffective(std::vector<ScaleEvent>& events, double horizon_s) {
  int n = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const bool up = events[i].to > events[i].from;
    for (std::size_t j = i + 1; j < events.size(); ++j) {
      if (events[j].time_s > events[i].time_s + horizon_s) break;
      if (events[j].pool != events[i].pool) continue;
      if ((events[j].to > events[j].from) != up) {
        events[i].ineffective = true;
        ++n;
        break;
      }
    }
  }
  return n;
}

namespace {

struct Pod {
  double ready_at;
  double gone_at;  // < 0: not draining
  bool draining() const { return gone_at >= 0; }
};

// Per-pod metric values of one step, kept for the metric pipeline's lag.
struct MetricSample {
  double latency[4] = {0, 0, 0, 0};  // p50, p90, p95, p99 with the queue wait
  double cpu_utilization = 0;
  double queue_per_pod = 0;
  bool any_ready = false;
};

double latency_of(const MetricSample& s, int percentile) {
  switch (percentile) {
    case 50:
      return s.latency[0];
    case 90:
      return s.latency[1];
    case 95:
      return s.latency[2];
    default:
      return s.latency[3];
  }
}

}  // namespace

SimulationResult simulate(const PlanSpec& plan, const CapacityModel& curve,
                          const TrafficTrace& trace, const SimulationOptions& opt) {
  if (!(opt.step_s > 0 && opt.step_s <= plan.sync_period_s)) {
    fail(ErrorKind::kInvalidInput, "step {} s must be in (0, sync period]", opt.step_s);
  }
  for (const auto& m : plan.metrics) {
    if (m.type == MetricType::kCpu && !curve.has_cpu()) {
      fail(ErrorKind::kInvalidInput,
           "plan '{}' scales on CPU but the capacity curve has no replica.cpu_cores (sweep "
           "with /metrics reachable)",
           plan.name);
    }
  }
  SimulationResult out;
  out.plan_name = plan.name;
  out.slo_s = plan.slo_p95_s.value_or(curve.slo_target_s().value_or(0.5));
  out.duration_s = trace.duration_s();
  std::mt19937_64 rng(opt.seed);
  const auto uniform = [&rng] { return double(rng() >> 11) / 9007199254740992.0; };

  const std::size_t n_pools = plan.pools.size();
  std::vector<std::vector<Pod>> pods(n_pools);
  std::vector<HpaController> hpas;
  for (std::size_t p = 0; p < n_pools; ++p) {
    const auto& spec = plan.pools[p];
    hpas.emplace_back(spec.min_replicas, spec.max_replicas, plan.behavior, plan.tolerance);
    pods[p].assign(std::size_t(spec.min_replicas), Pod{0.0, -1.0});
    out.pools.push_back({spec.name});
  }
  const double mu = curve.max_rps();
  const double dt = opt.step_s;
  const long steps = long(std::ceil(trace.duration_s() / dt));
  const long lag_steps = long(std::lround(plan.metric_lag_s / dt));
  const long sync_steps = std::max(1L, long(std::lround(plan.sync_period_s / dt)));
  const long sample_steps = std::max(1L, long(std::lround(opt.sample_period_s / dt)));
  std::vector<MetricSample> history;
  history.reserve(std::size_t(steps));
  double backlog = 0;

  for (long k = 0; k < steps; ++k) {
    const double t = double(k) * dt;
    // 1. drained pods leave; 2. spot interruptions (drain for the notice, replaced at once)
    for (std::size_t p = 0; p < n_pools; ++p) {
      auto& list = pods[p];
      std::erase_if(list, [t](const Pod& pod) { return pod.draining() && pod.gone_at <= t; });
      const auto& spec = plan.pools[p];
      if (spec.kind != PoolKind::kSpot || spec.interruptions_per_hour <= 0) continue;
      const double prob = 1.0 - std::exp(-spec.interruptions_per_hour * dt / 3600.0);
      const std::size_t n = list.size();
      for (std::size_t i = 0; i < n; ++i) {
        if (list[i].draining() || uniform() >= prob) continue;
        list[i].gone_at = t + spec.notice_s;
        list.push_back(Pod{t + plan.startup_s, -1.0});
        ++out.pools[p].interruptions;
      }
    }
    // 3. the autoscalers, on metrics `metric_lag_s` old
    if (k > 0 && k % sync_steps == 0) {
      // the newest sample is the previous step's (a lag of 0 still reads what was measured)
      const MetricSample& seen = history[std::size_t(std::max(0L, k - std::max(lag_steps, 1L)))];
      for (std::size_t p = 0; p < n_pools; ++p) {
        auto& list = pods[p];
        int ready = 0, starting = 0;
        for (const auto& pod : list) {
          if (pod.draining()) continue;
          (pod.ready_at <= t ? ready : starting) += 1;
        }
        const int current = ready + starting;
        std::vector<MetricObservation> obs;
        for (const auto& m : plan.metrics) {
          MetricObservation o;
          o.target = m.target;
          double value = 0;
          if (m.type == MetricType::kCpu) {
            o.source = MetricSource::kResourceCpu;
            o.unready_pods = starting;
            value = seen.cpu_utilization;
          } else {
            o.missing_pods = starting;
            value = m.type == MetricType::kLatency ? latency_of(seen, m.percentile)
                                                   : seen.queue_per_pod;
          }
          if (seen.any_ready) o.ready_values.assign(std::size_t(ready), value);
          obs.push_back(std::move(o));
        }
        const int next = hpas[p].sync(t, current, obs);
        if (next > current) {
          for (int i = 0; i < next - current; ++i) list.push_back(Pod{t + plan.startup_s, -1.0});
        } else if (next < current) {
          // the ReplicaSet deletes not-ready pods first, then the newest ready ones
          int remove = current - next;
          for (int pass = 0; pass < 2 && remove > 0; ++pass) {
            for (std::size_t i = list.size(); i-- > 0 && remove > 0;) {
              const bool not_ready = list[i].ready_at > t;
              if (list[i].draining() || (pass == 0 && !not_ready)) continue;
              list.erase(list.begin() + std::ptrdiff_t(i));
              --remove;
            }
          }
        }
        if (next != current) out.events.push_back({t, p, current, next});
      }
    }
    // 4. serve the step's load
    int ready_total = 0;
    for (std::size_t p = 0; p < n_pools; ++p) {
      for (const auto& pod : pods[p]) ready_total += (!pod.draining() && pod.ready_at <= t);
    }
    const double offered = trace.rps_at(t);
    const double arrivals = offered * dt;
    const double throughput = ready_total * mu;
    const double available = backlog + arrivals;
    const double served = std::min(available, throughput * dt);
    backlog = available - served;
    const double per_replica = ready_total > 0 ? served / dt / ready_total : 0.0;
    const CapacityPoint point = curve.at(per_replica);
    // NOTE: Little's law for the backlog: a request arriving now waits backlog / throughput.
    // Without a ready replica the wait is bounded below by one replica's throughput.
    const double wait = backlog / (ready_total > 0 ? throughput : mu);
    MetricSample s;
    s.latency[0] = point.p50_s + wait;
    s.latency[1] = point.p90_s + wait;
    s.latency[2] = point.p95_s + wait;
    s.latency[3] = point.p99_s + wait;
    s.cpu_utilization = point.cpu_cores / plan.cpu_request_cores * 100.0;
    s.queue_per_pod = backlog / std::max(ready_total, 1);
    s.any_ready = ready_total > 0;
    history.push_back(s);
    out.requests += arrivals;
    out.requests_over_slo +=
        arrivals * (ready_total > 0 ? share_over(point, wait, out.slo_s) : 1.0);
    if (s.latency[2] > out.slo_s || ready_total == 0) out.seconds_over_slo += dt;
    out.max_backlog = std::max(out.max_backlog, backlog);
    // 5. accounting: every existing pod is billed
    TimelineRow row;
    for (std::size_t p = 0; p < n_pools; ++p) {
      int ready = 0, total = 0;
      for (const auto& pod : pods[p]) {
        if (pod.draining()) continue;
        ++total;
        ready += pod.ready_at <= t;
      }
      out.pools[p].replica_hours += double(pods[p].size()) * dt / 3600.0;
      out.pools[p].peak_replicas = std::max(out.pools[p].peak_replicas, total);
      row.ready.push_back(ready);
      row.total.push_back(total);
    }
    if (k % sample_steps == 0) {
      row.time_s = t;
      row.offered_rps = offered;
      row.served_rps = served / dt;
      row.backlog = backlog;
      row.p95_s = s.latency[2];
      row.cpu_utilization = s.cpu_utilization;
      out.timeline.push_back(std::move(row));
    }
  }
  mark_ineffective(out.events, plan.ineffective_horizon_s);
  for (std::size_t p = 0; p < n_pools; ++p) {
    auto& r = out.pools[p];
    r.cost = r.replica_hours * plan.pools[p].price_per_hour;
    for (const auto& e : out.events) {
      if (e.pool != p) continue;
      (e.to > e.from ? r.scale_ups : r.scale_downs) += 1;
      r.ineffective += e.ineffective;
    }
  }
  return out;
}

}  // namespace dsinfer::plan
