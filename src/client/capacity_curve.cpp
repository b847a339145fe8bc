// Capacity curve: SLO evaluation and the JSON / CSV / SVG writers of a sweep.
#include "client/capacity_curve.h"

#include <fmt/format.h>

#include "base/error.h"
#include "client/svg_chart.h"

namespace dsinfer::client {

using nlohmann::json;

SloMetric parse_slo_metric(std::string_view name) {
  if (name == "e2e") return SloMetric::kE2e;
  if (name == "ttft") return SloMetric::kTtft;
  if (name == "server_ttft") return SloMetric::kServerTtft;
  fail(ErrorKind::kInvalidInput, "--slo-metric '{}' is not one of e2e, ttft, server_ttft", name);
}

const char* slo_metric_name(SloMetric metric) {
  switch (metric) {
    case SloMetric::kE2e:
      return "e2e";
    case SloMetric::kTtft:
      return "ttft";
    case SloMetric::kServerTtft:
      return "server_ttft";
  }
  return "?";
}

namespace {

// The level's p95 of the SLO's metric, or nullopt when it has none.
std::optional<double> slo_p95(const LevelSummary& level, SloMetric metric) {
  if (metric == SloMetric::kServerTtft) {
    return level.server ? level.server->ttft_p95 : std::nullopt;
  }
  const Distribution& d = metric == SloMetric::kE2e ? level.e2e : level.ttft;
  return d.count == 0 ? std::nullopt : std::optional<double>(d.p95);
}

std::string csv_number(std::size_t count, double v) {
  return count == 0 ? std::string() : fmt::format("{:.6g}", v);
}

}  // namespace

bool meets_slo(const LevelSummary& level, const SloSpec& slo) {
  const auto p95 = slo_p95(level, slo.metric);
  return level.ok > 0 && p95 && *p95 <= slo.p95_s && level.error_rate <= slo.max_error_rate;
}

std::optional<std::size_t> slo_capacity_index(const std::vector<LevelSummary>& levels,
                                              const SloSpec& slo) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (!meets_slo(levels[i], slo)) break;
    best = i;
  }
  return best;
}

const char* capacity_basis(const std::vector<LevelSummary>& levels, std::size_t capacity_index) {
  for (std::size_t i = 0; i <= capacity_index && i < levels.size(); ++i) {
    if (levels[i].cache.cache_dominated()) return "cache";
  }
  return "compute";
}

json capacity_curve_json(const json& run, const std::vector<LevelSummary>& levels,
                         const std::optional<SloSpec>& slo) {
  json out;
  out["schema"] = "dsinfer.capacity_curve/v1";
  out["run"] = run;
  out["mode"] = levels.empty() ? "concurrency" : levels.front().mode;
  json arr = json::array();
  for (const auto& level : levels) {
    json j = level_to_json(level);
    j["meets_slo"] = slo ? json(meets_slo(level, *slo)) : json(nullptr);
    arr.push_back(std::move(j));
  }
  out["levels"] = std::move(arr);
  if (slo) {
    const auto cap = slo_capacity_index(levels, *slo);
    json capacity = nullptr;
    if (cap) {
      const auto& l = levels[*cap];
      capacity = {{"level_index", *cap},
                  {"offered_load", l.offered_load},
                  {"requests_per_s", l.requests_per_s},
                  {"output_tokens_per_s", l.output_tokens_per_s},
                  {"p95_s", *slo_p95(l, slo->metric)},
                  {"cpu_cores", l.cpu_cores ? json(*l.cpu_cores) : json(nullptr)},
                  {"basis", capacity_basis(levels, *cap)}};
    }
    out["slo"] = {{"metric", slo_metric_name(slo->metric)},
                  {"percentile", 95},
                  {"target_s", slo->p95_s},
                  {"max_error_rate", slo->max_error_rate},
                  {"capacity", capacity}};
  } else {
    out["slo"] = nullptr;
  }
  return out;
}

std::string capacity_curve_csv(const std::vector<LevelSummary>& levels,
                               const std::optional<SloSpec>& slo) {
  std::string out =
      "mode,offered_load,duration_s,requests_total,requests_ok,error_rate,rate_429,requests_per_s,"
      "output_tokens_per_s,input_tokens_per_s";
  for (const char* metric : {"e2e", "ttft", "tpot", "itl"}) {
    for (const char* p : {"p50", "p90", "p95", "p99"}) out += fmt::format(",{}_{}_s", metric, p);
  }
  out += ",server_ttft_p50_s,server_ttft_p95_s,server_queue_p95_s";
  out += ",cpu_cores,meets_slo,cached_answer_share,cached_prompt_share,cache_dominated\n";
  for (const auto& l : levels) {
    out += fmt::format("{},{:g},{:.3f},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}", l.mode,
                       l.offered_load, l.duration_s, l.total, l.ok, l.error_rate, l.rate_429,
                       l.requests_per_s, l.output_tokens_per_s, l.input_tokens_per_s);
    for (const Distribution* d : {&l.e2e, &l.ttft, &l.tpot, &l.itl}) {
      out += fmt::format(",{},{},{},{}", csv_number(d->count, d->p50), csv_number(d->count, d->p90),
                         csv_number(d->count, d->p95), csv_number(d->count, d->p99));
    }
    const auto share = [](const std::optional<double>& v) {
      return v ? fmt::format("{:.4g}", *v) : std::string();
    };
    const auto seconds = [&l](std::optional<double> ServerLatency::*member) {
      const auto v = l.server ? (*l.server).*member : std::nullopt;
      return v ? fmt::format("{:.6g}", *v) : std::string();
    };
    out += fmt::format(",{},{},{}", seconds(&ServerLatency::ttft_p50),
                       seconds(&ServerLatency::ttft_p95), seconds(&ServerLatency::queue_p95));
    out += fmt::format(
        ",{},{},{},{},{}\n", l.cpu_cores ? fmt::format("{:.4g}", *l.cpu_cores) : std::string(),
        slo ? (meets_slo(l, *slo) ? "true" : "false") : "", share(l.cache.answer_share()),
        share(l.cache.prompt_share()), l.cache.cache_dominated() ? "true" : "false");
  }
  return out;
}

std::string capacity_curve_svg(const std::vector<LevelSummary>& levels,
                               const std::optional<SloSpec>& slo, const std::string& title,
                               const std::string& subtitle) {
  const std::string mode = levels.empty() ? "concurrency" : levels.front().mode;
  ChartSpec spec;
  spec.title = title;
  spec.subtitle = subtitle;
  spec.x_label = mode == "rate" ? "offered load (requests/s, Poisson arrivals)"
                                : "offered load (concurrent requests)";
  ChartPanel latency;
  latency.y_label = "latency (s)";
  const auto add = [&](ChartPanel& panel, const std::string& name, const std::string& color,
                       bool dashed, auto value) {
    ChartSeries s{name, color, {}, dashed};
    for (const auto& l : levels) {
      if (const auto v = value(l)) s.points.emplace_back(l.offered_load, *v);
    }
    if (!s.points.empty())
      panel.series.push_back(std::move(s));  // no legend for what was not measured
  };
  const auto pct = [](const Distribution LevelSummary::*member, double Distribution::*p) {
    return [member, p](const LevelSummary& l) -> std::optional<double> {
      const Distribution& d = l.*member;
      return d.count == 0 ? std::nullopt : std::optional<double>(d.*p);
    };
  };
  add(latency, "e2e p50", "#1f77b4", false, pct(&LevelSummary::e2e, &Distribution::p50));
  add(latency, "e2e p95", "#ff7f0e", false, pct(&LevelSummary::e2e, &Distribution::p95));
  add(latency, "e2e p99", "#9467bd", false, pct(&LevelSummary::e2e, &Distribution::p99));
  add(latency, "TTFT p95", "#2ca02c", true, pct(&LevelSummary::ttft, &Distribution::p95));
  add(latency, "server TTFT p95", "#d62728", true,
      [](const LevelSummary& l) { return l.server ? l.server->ttft_p95 : std::nullopt; });
  if (slo) {
    latency.target_y = slo->p95_s;
    latency.target_label =
        fmt::format("SLO: {} p95 {:g} s", slo_metric_name(slo->metric), slo->p95_s);
    if (const auto cap = slo_capacity_index(levels, *slo)) {
      latency.marker_x = levels[*cap].offered_load;
      latency.marker_label = fmt::format("SLO capacity: {:g}{}", levels[*cap].offered_load,
                                         std::string_view(capacity_basis(levels, *cap)) == "cache"
                                             ? " (translation cache, not compute)"
                                             : "");
    }
  }
  ChartPanel throughput;
  throughput.y_label = "output tokens/s";
  add(throughput, "output tok/s", "#17becf", false,
      [](const LevelSummary& l) -> std::optional<double> { return l.output_tokens_per_s; });
  spec.panels = {std::move(latency), std::move(throughput)};
  return render_svg_chart(spec);
}

}  // namespace dsinfer::client
