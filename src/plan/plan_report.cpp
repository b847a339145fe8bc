// Planner outputs: CSV, SVG, summary, comparison table, Helm values.
#include "plan/plan_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "base/error.h"

namespace dsinfer::plan {

std::string timeline_csv(const SimulationResult& r, const PlanSpec& plan) {
  std::string out = "time_s,offered_rps,served_rps,backlog,p95_s,cpu_utilization";
  for (const auto& p : plan.pools) out += fmt::format(",{0}_ready,{0}_total", p.name);
  out += "\n";
  for (const auto& row : r.timeline) {
    out += fmt::format("{:g},{:.4f},{:.4f},{:.3f},{:.4f},{:.2f}", row.time_s, row.offered_rps,
                       row.served_rps, row.backlog, row.p95_s, row.cpu_utilization);
    for (std::size_t p = 0; p < row.ready.size(); ++p) {
      out += fmt::format(",{},{}", row.ready[p], row.total[p]);
    }
    out += "\n";
  }
  return out;
}

namespace {

constexpr const char* kPoolColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"};

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

// A "nice" axis maximum >= v (1, 2, 2.5, 5 × 10^k).
double nice_max(double v) {
  if (!(v > 0)) return 1.0;
  const double e = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * e >= v) return m * e;
  }
  return 10 * e;
}

struct Box {
  double x, y, w, h;
};

std::string axes(const Box& b, double x_max_h, double y_max, const std::string& y_label,
                 const char* y_format) {
  std::string s = fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", b.x,
      b.y, b.w, b.h);
  for (int i = 0; i <= 4; ++i) {
    const double y = b.y + b.h - b.h * i / 4.0;
    s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#eee\"/>\n",
                     b.x, y, b.x + b.w, y);
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\">{}</text>\n",
                     b.x - 4, y + 4, fmt::format(fmt::runtime(y_format), y_max * i / 4.0));
  }
  const double step_h = x_max_h <= 6 ? 1 : x_max_h <= 24 ? 2 : x_max_h <= 72 ? 6 : 24;
  for (double h = 0; h <= x_max_h + 1e-9; h += step_h) {
    const double x = b.x + b.w * h / x_max_h;
    s += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{:g}h</text>\n", x,
        b.y + b.h + 14, h);
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"12\" transform=\"rotate(-90 {} {})\" "
      "text-anchor=\"middle\">{}</text>\n",
      b.x - 44, b.y + b.h / 2, b.x - 44, b.y + b.h / 2, escape(y_label));
  return s;
}

}  // namespace

std::string timeline_svg(const SimulationResult& r, const PlanSpec& plan,
                         const std::string& subtitle) {
  const double W = 960, H = 600;
  const Box top{70, 60, 800, 300};
  const Box bottom{70, 410, 800, 150};
  const double x_max_h = std::max(r.duration_s / 3600.0, 1e-6);
  // at most ~720 drawn points: every n-th row; p95 takes the bucket's maximum
  const std::size_t n = std::max<std::size_t>(1, r.timeline.size() / 720 + 1);
  double max_rps = 0, max_rep = 0;
  for (const auto& row : r.timeline) {
    max_rps = std::max(max_rps, row.offered_rps);
    int total = 0;
    for (int v : row.total) total += v;
    max_rep = std::max<double>(max_rep, total);
  }
  const double y_rps = nice_max(max_rps), y_rep = nice_max(max_rep);
  const double y_lat = nice_max(r.slo_s * 3);
  const auto X = [&](double t) { return top.x + top.w * (t / 3600.0) / x_max_h; };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W, H, W, H);
  s += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"16\" font-weight=\"bold\">{}</text>\n",
                   top.x, escape("dsinfer plan: " + r.plan_name));
  s += fmt::format("<text x=\"{}\" y=\"40\" font-size=\"11\" fill=\"#555\">{}</text>\n", top.x,
                   escape(subtitle));
  s += axes(top, x_max_h, y_rps, "offered load (requests/s)", "{:g}");
  // right axis: replicas
  for (int i = 0; i <= 4; ++i) {
    const double y = top.y + top.h - top.h * i / 4.0;
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#444\">{:g}</text>\n",
                     top.x + top.w + 4, y + 4, y_rep * i / 4.0);
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"12\" transform=\"rotate(90 {} {})\" "
      "text-anchor=\"middle\">replicas (stacked per pool)</text>\n",
      top.x + top.w + 40, top.y + top.h / 2, top.x + top.w + 40, top.y + top.h / 2);
  // stacked replica steps per pool, drawn as filled areas from the top pool down
  const std::size_t pools = plan.pools.size();
  for (std::size_t p = pools; p-- > 0;) {
    std::string pts = fmt::format("{:.1f},{:.1f}", top.x, top.y + top.h);
    for (std::size_t i = 0; i < r.timeline.size(); i += n) {
      const auto& row = r.timeline[i];
      int stacked = 0;
      for (std::size_t q = 0; q <= p; ++q) stacked += row.total[q];
      pts += fmt::format(" {:.1f},{:.1f}", X(row.time_s), top.y + top.h - top.h * stacked / y_rep);
    }
    pts += fmt::format(" {:.1f},{:.1f}", X(r.timeline.empty() ? 0 : r.timeline.back().time_s),
                       top.y + top.h);
    s += fmt::format(
        "<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"0.25\" stroke=\"{}\" "
        "stroke-width=\"1\"/>\n",
        pts, kPoolColors[p % 5], kPoolColors[p % 5]);
  }
  std::string load;
  for (std::size_t i = 0; i < r.timeline.size(); i += n) {
    const auto& row = r.timeline[i];
    load += fmt::format("{:.1f},{:.1f} ", X(row.time_s),
                        top.y + top.h - top.h * row.offered_rps / y_rps);
  }
  s += fmt::format(
      "<polyline points=\"{}\" fill=\"none\" stroke=\"black\" stroke-width=\"1.2\"/>\n", load);
  // legend
  double lx = top.x + 10;
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">— offered load</text>\n", lx,
                   top.y + 14);
  for (std::size_t p = 0; p < pools; ++p) {
    lx += p == 0 ? 110 : 150;
    s += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\" fill-opacity=\"0.5\"/>"
        "<text x=\"{}\" y=\"{}\" font-size=\"11\">{} ({})</text>\n",
        lx, top.y + 5, kPoolColors[p % 5], lx + 14, top.y + 14, escape(plan.pools[p].name),
        plan.pools[p].kind == PoolKind::kSpot ? "spot" : "on-demand");
  }
  // p95 panel, clipped at the axis maximum
  s += axes(bottom, x_max_h, y_lat, "e2e p95 (s)", "{:.2g}");
  std::string lat;
  for (std::size_t i = 0; i < r.timeline.size(); i += n) {
    double v = 0;
    for (std::size_t j = i; j < std::min(i + n, r.timeline.size()); ++j) {
      v = std::max(v, r.timeline[j].p95_s);
    }
    v = std::min(v, y_lat);
    lat += fmt::format("{:.1f},{:.1f} ", X(r.timeline[i].time_s),
                       bottom.y + bottom.h - bottom.h * v / y_lat);
  }
  s += fmt::format(
      "<polyline points=\"{}\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1\"/>\n", lat);
  const double slo_y = bottom.y + bottom.h - bottom.h * r.slo_s / y_lat;
  s += fmt::format(
      "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"black\" "
      "stroke-dasharray=\"6,4\"/>\n<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\">SLO p95 {:g} s "
      "(clipped at {:g} s)</text>\n",
      bottom.x, slo_y, bottom.x + bottom.w, slo_y, bottom.x + 6, slo_y - 4, r.slo_s, y_lat);
  s += "</svg>\n";
  return s;
}

namespace {

struct Row {
  std::string label;
  std::vector<std::string> cells;
};

std::vector<Row> rows_of(const std::vector<SimulationResult>& results) {
  std::vector<Row> rows;
  const auto add = [&](const std::string& label, auto cell) {
    Row row{label, {}};
    for (const auto& r : results) row.cells.push_back(cell(r));
    rows.push_back(std::move(row));
  };
  add("SLO (e2e p95)", [](const auto& r) { return fmt::format("{:g} s", r.slo_s); });
  add("requests", [](const auto& r) { return fmt::format("{:.0f}", r.requests); });
  add("minutes p95 > SLO",
      [](const auto& r) { return fmt::format("{:.1f}", r.seconds_over_slo / 60); });
  add("requests over SLO", [](const auto& r) {
    return fmt::format("{:.2f} %", r.requests > 0 ? 100 * r.requests_over_slo / r.requests : 0.0);
  });
  add("max backlog (requests)", [](const auto& r) { return fmt::format("{:.0f}", r.max_backlog); });
  add("scale events", [](const auto& r) { return fmt::format("{}", r.scale_events()); });
  add("ineffective scale events",
      [](const auto& r) { return fmt::format("{}", r.ineffective_events()); });
  // per pool rows, by pool name across results
  std::vector<std::string> names;
  for (const auto& r : results) {
    for (const auto& p : r.pools) {
      if (std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);
    }
  }
  for (const auto& name : names) {
    const auto pool = [&name](const SimulationResult& r) -> const PoolResult* {
      for (const auto& p : r.pools) {
        if (p.name == name) return &p;
      }
      return nullptr;
    };
    add(name + ": replica-hours", [&](const auto& r) {
      const auto* p = pool(r);
      return p ? fmt::format("{:.1f} (peak {})", p->replica_hours, p->peak_replicas)
               : std::string("-");
    });
    add(name + ": scale up/down (ineff.)", [&](const auto& r) {
      const auto* p = pool(r);
      return p ? fmt::format("{}/{} ({})", p->scale_ups, p->scale_downs, p->ineffective)
               : std::string("-");
    });
    add(name + ": interruptions", [&](const auto& r) {
      const auto* p = pool(r);
      return p ? fmt::format("{}", p->interruptions) : std::string("-");
    });
    add(name + ": cost", [&](const auto& r) {
      const auto* p = pool(r);
      return p ? fmt::format("{:.2f}", p->cost) : std::string("-");
    });
  }
  add("total cost", [](const auto& r) { return fmt::format("{:.2f}", r.total_cost()); });
  return rows;
}

}  // namespace

std::string summary_text(const SimulationResult& r) {
  std::string out = fmt::format("plan {}: {:.1f} h simulated\n", r.plan_name, r.duration_s / 3600);
  for (const auto& row : rows_of({r})) out += fmt::format("  {:<30} {}\n", row.label, row.cells[0]);
  return out;
}

std::string compare_table(const std::vector<SimulationResult>& results) {
  const auto rows = rows_of(results);
  std::size_t label_w = 0;
  std::vector<std::size_t> w(results.size(), 0);
  for (std::size_t i = 0; i < results.size(); ++i) w[i] = results[i].plan_name.size();
  for (const auto& row : rows) {
    label_w = std::max(label_w, row.label.size());
    for (std::size_t i = 0; i < row.cells.size(); ++i) w[i] = std::max(w[i], row.cells[i].size());
  }
  std::string out = fmt::format("| {:<{}} |", "", label_w);
  std::string rule = fmt::format("|{:-<{}}|", "", label_w + 2);
  for (std::size_t i = 0; i < results.size(); ++i) {
    out += fmt::format(" {:>{}} |", results[i].plan_name, w[i]);
    rule += fmt::format("{:-<{}}:|", "", w[i] + 1);
  }
  out += "\n" + rule + "\n";
  for (const auto& row : rows) {
    out += fmt::format("| {:<{}} |", row.label, label_w);
    for (std::size_t i = 0; i < row.cells.size(); ++i)
      out += fmt::format(" {:>{}} |", row.cells[i], w[i]);
    out += "\n";
  }
  return out;
}

namespace {

// The chart's PriorityClass values (deploy/helm/dsinfer/values.yaml, pools[].priority): an
// on-demand pool outranks every spot pool and may preempt; spot capacity never preempts. The
// chart refuses to render an on-demand pool that does not outrank a spot pool.
constexpr int kOnDemandPriority = 100000;
constexpr int kSpotPriority = 10000;

YAML::Node rules_node(const ScalingRules& r) {
  YAML::Node n;
  n["stabilizationWindowSeconds"] = r.stabilization_window_s;
  n["policies"] = YAML::Node(YAML::NodeType::Sequence);
  for (const auto& p : r.policies) {
    YAML::Node pn;
    pn["type"] = policy_type_name(p.type);
    pn["value"] = p.value;
    pn["periodSeconds"] = p.period_s;
    n["policies"].push_back(pn);
  }
  n["selectPolicy"] = select_policy_name(r.select);
  return n;
}

}  // namespace

std::string helm_values_yaml(const PlanSpec& plan) {
  YAML::Node a;
  a["enabled"] = true;
  a["engine"] = "hpa";
  a["cpu"]["enabled"] = false;
  a["latency"]["enabled"] = false;
  for (const auto& m : plan.metrics) {
    if (m.type == MetricType::kQueue) {
      fail(ErrorKind::kUnsupported,
           "plan '{}': the chart has no queue-length autoscaling metric; --emit-values needs "
           "cpu and/or latency metrics",
           plan.name);
    }
    if (m.type == MetricType::kCpu) {
      a["cpu"]["enabled"] = true;
      a["cpu"]["averageUtilization"] = std::max(1, int(std::lround(m.target)));
    } else {
      if (m.percentile != 95) {
        fail(ErrorKind::kUnsupported, "plan '{}': the chart's latency metric is the p95, not p{}",
             plan.name, m.percentile);
      }
      a["latency"]["enabled"] = true;
      a["latency"]["targetAverageValue"] =
          fmt::format("{}m", std::max(1L, std::lround(m.target * 1000)));
    }
  }
  a["behavior"]["scaleUp"] = rules_node(plan.behavior.scale_up);
  a["behavior"]["scaleDown"] = rules_node(plan.behavior.scale_down);
  YAML::Node pools(YAML::NodeType::Sequence);
  for (const auto& p : plan.pools) {
    YAML::Node n;
    n["name"] = p.name;
    n["enabled"] = true;
    n["spot"] = p.kind == PoolKind::kSpot;
    n["priority"]["value"] = p.kind == PoolKind::kSpot ? kSpotPriority : kOnDemandPriority;
    n["priority"]["preemptionPolicy"] =
        p.kind == PoolKind::kSpot ? "Never" : "PreemptLowerPriority";
    n["replicas"] = p.min_replicas;
    n["autoscaling"]["minReplicas"] = p.min_replicas;
    n["autoscaling"]["maxReplicas"] = p.max_replicas;
    n["keda"]["minReplicaCount"] = p.min_replicas;
    n["keda"]["activationQuery"] = "";
    n["keda"]["activationThreshold"] = "1";
    n["nodeSelector"]["dsinfer.io/pool"] = p.name;
    YAML::Node tol(YAML::NodeType::Sequence);
    if (p.kind == PoolKind::kSpot) {
      YAML::Node spot;
      spot["key"] = "dsinfer.io/spot";
      spot["operator"] = "Exists";
      spot["effect"] = "NoSchedule";
      tol.push_back(spot);
    }
    n["tolerations"] = tol;
    // CPU pods: request = limit = compute threads (the chart wants whole cores).
    n["resources"]["cpu"] = std::max(1L, std::lround(std::ceil(plan.cpu_request_cores)));
    n["resources"]["memory"] = "16Gi";
    n["resources"]["gpu"] = 0;
    n["topologySpread"]["enabled"] = true;
    n["topologySpread"]["maxSkew"] = 1;
    pools.push_back(n);
  }
  YAML::Node root;
  root["autoscaling"] = a;
  root["pools"] = pools;
  YAML::Emitter e;
  e << root;
  // the chart's schema types the KEDA threshold as a string; yaml-cpp writes "1" as a plain 1
  std::string text = e.c_str();
  for (std::size_t at = 0; (at = text.find("activationThreshold: 1\n", at)) != std::string::npos;) {
    text.replace(at, 22, "activationThreshold: \"1\"");
    at += 24;
  }
  return fmt::format(
      "# Helm values for deploy/helm/dsinfer, written by `dsinfer plan --emit-values` from plan "
      "'{}'.\n# Pools replace the chart's pool list (resources: the plan's CPU cores, 16Gi; size "
      "the memory for model + KV cache).\n{}\n",
      plan.name, text);
}

}  // namespace dsinfer::plan
