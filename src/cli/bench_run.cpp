// Runs of the load generator: settings → workload → warm-up → measured level(s) → reports.
#include "cli/bench_run.h"

#include <unistd.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/version.h"
#include "client/bench_report.h"
#include "client/http_exchange.h"
#include "client/http_url.h"
#include "client/load_runner.h"
#include "client/prometheus_text.h"
#include "metrics/metric_names.h"

namespace dsinfer::cli {

namespace {

using nlohmann::json;
using namespace dsinfer::client;

constexpr auto kProbeTimeout = std::chrono::milliseconds(5000);
constexpr std::size_t kMaxPrompts = 200000;
constexpr int kDefaultMaxTokens = 64;  // chat/completions when --max-tokens is not given

// Everything a level needs, resolved once from the flags.
struct BenchContext {
  RunnerConfig runner;
  std::vector<Prompt> prompts;
  std::optional<HttpUrl> metrics_url;
  std::string metrics_route;
  json run_meta;
  bool tty = false;
};

// NOTE: every in-flight request holds a socket; raise the soft descriptor limit to the hard
// one so thousands of concurrent requests do not fail with EMFILE.
void raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

std::string utc_now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string detect_model(const HttpUrl& url, const std::string& api_key) {
  const auto [status, body] = http_get_text(url, "/v1/models", api_key, kProbeTimeout);
  if (status == 200) {
    const json j = json::parse(body, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("data") && j["data"].is_array() &&
        !j["data"].empty() && j["data"][0].is_object() && j["data"][0].contains("id") &&
        j["data"][0]["id"].is_string()) {
      return j["data"][0]["id"].get<std::string>();
    }
  }
  std::fprintf(stderr, "warning: could not read a model name from %s (%s); sending \"default\"\n",
               url.with_route("/v1/models").c_str(),
               status == 0 ? body.c_str() : fmt::format("HTTP {}", status).c_str());
  return "default";
}

BenchContext make_context(const BenchSettings& s, std::size_t prompt_count) {
  raise_open_file_limit();
  BenchContext ctx;
  ctx.runner.url = parse_http_url(s.url);
  ctx.runner.api_key = s.api_key;
  ctx.runner.request_timeout_s = s.timeout_s;
  ctx.runner.max_in_flight = std::max<std::size_t>(1, s.max_in_flight);
  RequestOptions& req = ctx.runner.request;
  req.api = parse_api(s.api);
  if (s.max_tokens != 0) {
    req.max_tokens = s.max_tokens;
  } else if (req.api == Api::kTranslate) {
    req.max_tokens = std::nullopt;
  } else {
    req.max_tokens = kDefaultMaxTokens;
  }
  req.ignore_eos = s.ignore_eos && req.api != Api::kTranslate;
  req.stream = !s.no_stream;
  req.temperature = s.temperature;
  if (s.max_tokens < 0)
    fail(ErrorKind::kInvalidInput, "--max-tokens {} must be >= 1 (or left out)", s.max_tokens);
  if (!(s.timeout_s > 0)) fail(ErrorKind::kInvalidInput, "--timeout {} must be > 0", s.timeout_s);
  if (!(s.duration_s > 0))
    fail(ErrorKind::kInvalidInput, "--duration {} must be > 0", s.duration_s);
  if (s.requests < 1) fail(ErrorKind::kInvalidInput, "--requests must be >= 1");

  json workload;
  if (!s.prompts_file.empty()) {
    if (s.repeat_share != 0) {
      fail(ErrorKind::kInvalidInput,
           "--repeat-share applies to the built-in workload, not --prompts");
    }
    ctx.prompts = load_jsonl_workload(s.prompts_file, req.api);
    workload = {{"kind", "jsonl"}, {"file", s.prompts_file}, {"prompts", ctx.prompts.size()}};
  } else {
    WorkloadOptions w;
    w.api = req.api;
    w.prompt_len = s.prompt_len;
    w.distribution = parse_length_distribution(s.prompt_len_dist);
    w.source_lang = s.source_lang;
    w.seed = s.seed;
    w.repeat_share = s.repeat_share;
    // NOTE: prompts are generated up front (bounded): beyond kMaxPrompts requests they cycle,
    // and the report's translation-cache share shows it.
    ctx.prompts = make_translation_workload(w, std::min(prompt_count, kMaxPrompts));
    workload = {{"kind", "translation"},
                {"prompt_len", s.prompt_len},
                {"prompt_len_dist", s.prompt_len_dist},
                {"source_lang", s.source_lang},
                {"seed", s.seed},
                {"distinct_segments", std::min(prompt_count, kMaxPrompts)},
                {"repeat_share", s.repeat_share}};
  }
  if (req.api != Api::kTranslate) {
    req.model = s.model.empty() ? detect_model(ctx.runner.url, s.api_key) : s.model;
  } else {
    req.model = s.model;
  }
  if (!s.no_metrics) {
    if (s.metrics_url.empty()) {
      ctx.metrics_url = ctx.runner.url;
      ctx.metrics_route = "/metrics";
    } else {
      ctx.metrics_url = parse_http_url(s.metrics_url);
      ctx.metrics_route = "";
    }
  }
  ctx.tty = isatty(STDOUT_FILENO) != 0;
  ctx.run_meta = {
      {"tool", fmt::format("dsinfer {} ({})", build_info().version, build_info().commit)},
      {"started_at", utc_now_iso()},
      {"url", s.url},
      {"api", api_name(req.api)},
      {"model", req.model},
      {"stream", req.stream},
      {"max_tokens", req.max_tokens ? json(*req.max_tokens) : json(nullptr)},
      {"ignore_eos", req.ignore_eos},
      {"temperature", req.temperature},
      {"requests_per_level", s.requests},
      {"duration_s", s.duration_s},
      {"warmup_requests", s.warmup},
      {"timeout_s", s.timeout_s},
      {"seed", s.seed},
      {"workload", workload}};
  return ctx;
}

// What a level reads from the server's /metrics before and after it (each part absent when
// /metrics has no such family).
struct ServerSnapshot {
  std::optional<double> cpu_seconds;
  std::optional<HistogramSnapshot> ttft, queue;
};

ServerSnapshot scrape_server(const BenchContext& ctx, const std::string& api_key) {
  if (!ctx.metrics_url) return {};
  const auto [status, body] =
      http_get_text(*ctx.metrics_url, ctx.metrics_route, api_key, kProbeTimeout);
  if (status != 200) return {};
  return {prometheus_sample_sum(body, "process_cpu_seconds_total"),
          prometheus_histogram(body, metrics::names::kTimeToFirstToken),
          prometheus_histogram(body, metrics::names::kQueueTime)};
}

// The server-side latency of the requests between two scrapes, when both have the histograms.
std::optional<ServerLatency> server_latency(const ServerSnapshot& before,
                                            const ServerSnapshot& after) {
  if (!before.ttft || !after.ttft) return std::nullopt;
  ServerLatency l;
  l.requests = histogram_count_between(*before.ttft, *after.ttft);
  l.ttft_p50 = histogram_quantile_between(0.5, *before.ttft, *after.ttft);
  l.ttft_p95 = histogram_quantile_between(0.95, *before.ttft, *after.ttft);
  if (before.queue && after.queue) {
    l.queue_p95 = histogram_quantile_between(0.95, *before.queue, *after.queue);
  }
  return l;
}

std::function<void(const ProgressSnapshot&)> progress_printer(const BenchContext& ctx,
                                                              std::string label) {
  if (!ctx.tty) return {};
  return [label = std::move(label)](const ProgressSnapshot& p) {
    std::printf("\r\033[K%s %6.1f s | issued %zu | done %zu | failed %zu | in flight %zu",
                label.c_str(), p.elapsed_s, p.issued, p.finished, p.failed, p.in_flight);
    std::fflush(stdout);
  };
}

void end_progress(const BenchContext& ctx) {
  if (!ctx.tty) return;
  std::printf("\r\033[K");
  std::fflush(stdout);
}

void check_interrupted(const PhaseResult& r) {
  if (r.interrupted) fail(ErrorKind::kUnavailable, "interrupted by a signal");
}

void run_warmup(const BenchContext& ctx, const BenchSettings& s, int concurrency) {
  if (s.warmup == 0) return;
  LoadPhase warm;
  warm.mode = ArrivalMode::kClosedLoop;
  warm.concurrency = std::max(1, std::min<int>(concurrency, static_cast<int>(s.warmup)));
  warm.max_requests = s.warmup;
  warm.duration_s = s.duration_s;
  const PhaseResult r =
      run_phase(ctx.runner, warm, ctx.prompts, 0, progress_printer(ctx, "warm-up"));
  end_progress(ctx);
  check_interrupted(r);
  const auto ok = std::count_if(r.records.begin(), r.records.end(), [](const RequestRecord& rec) {
    return rec.outcome == Outcome::kOk;
  });
  std::printf("warm-up: %zu requests, %zu ok\n", r.records.size(), static_cast<std::size_t>(ok));
  if (ok == 0 && !r.records.empty()) {
    std::printf("warm-up failure: %s\n", r.records.front().error.c_str());
  }
}

// One measured level, with the server's CPU use and latency histograms over it when /metrics
// has them.
// Its requests take the prompts from `prompt_offset` on (each level of a sweep its own slice,
// so a distinct workload stays distinct over the whole sweep).
std::pair<LevelSummary, PhaseResult> run_level(const BenchContext& ctx, const BenchSettings& s,
                                               const LoadPhase& phase, const std::string& mode,
                                               double offered, std::size_t prompt_offset) {
  const ServerSnapshot before = scrape_server(ctx, s.api_key);
  const auto wall_before = BenchClock::now();
  PhaseResult r = run_phase(ctx.runner, phase, ctx.prompts, prompt_offset,
                            progress_printer(ctx, fmt::format("{} {:g}", mode, offered)));
  end_progress(ctx);
  check_interrupted(r);
  LevelSummary summary = summarize_phase(r, mode, offered);
  const ServerSnapshot after = scrape_server(ctx, s.api_key);
  const double wall = std::chrono::duration<double>(BenchClock::now() - wall_before).count();
  if (before.cpu_seconds && after.cpu_seconds && wall > 0) {
    summary.cpu_cores = (*after.cpu_seconds - *before.cpu_seconds) / wall;
  }
  summary.server = server_latency(before, after);
  return {std::move(summary), std::move(r)};
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(ErrorKind::kInvalidInput, "cannot write '{}'", path);
  out << text;
  out.close();
  if (!out) fail(ErrorKind::kInternal, "writing '{}' failed", path);
}

// When a level was answered mostly from the translation cache although the workload asked for
// distinct segments, says the likely reason.
void print_cache_hint(const BenchSettings& s, const std::vector<LevelSummary>& levels) {
  const bool dominated = std::any_of(levels.begin(), levels.end(), [](const LevelSummary& l) {
    return l.cache.cache_dominated();
  });
  if (!dominated || !s.prompts_file.empty() || s.repeat_share > 0) return;
  std::printf(
      "note: the workload's segments were distinct, so the server's translation cache already "
      "held them: an earlier run with --seed %llu against this server? Use another --seed or a "
      "fresh server to measure compute.\n",
      static_cast<unsigned long long>(s.seed));
}

std::string first_error(const PhaseResult& r) {
  for (const auto& rec : r.records) {
    if (rec.outcome != Outcome::kOk)
      return fmt::format("{}: {}", outcome_name(rec.outcome), rec.error);
  }
  return "none";
}

}  // namespace

void run_bench(const BenchSettings& s) {
  if (s.concurrency != 0 && s.rate != 0) {
    fail(ErrorKind::kInvalidInput, "give either --concurrency (closed loop) or --rate (open loop)");
  }
  if (s.concurrency < 0)
    fail(ErrorKind::kInvalidInput, "--concurrency {} must be >= 1", s.concurrency);
  if (s.rate < 0 || !std::isfinite(s.rate))
    fail(ErrorKind::kInvalidInput, "--rate {} must be > 0", s.rate);
  BenchContext ctx = make_context(s, s.warmup + s.requests);
  LoadPhase phase;
  phase.max_requests = s.requests;
  phase.duration_s = s.duration_s;
  phase.seed = s.seed;
  std::string mode = "concurrency";
  double offered = 1;
  if (s.rate > 0) {
    phase.mode = ArrivalMode::kOpenLoop;
    phase.rate_per_s = s.rate;
    mode = "rate";
    offered = s.rate;
  } else {
    phase.concurrency = std::max(1, s.concurrency);
    offered = phase.concurrency;
  }
  std::printf("dsinfer bench: %s %s, model %s, %s %g, up to %zu requests / %g s\n",
              ctx.runner.url.with_route(api_route(ctx.runner.request.api)).c_str(),
              ctx.runner.request.stream ? "streaming" : "non-streaming",
              ctx.runner.request.model.c_str(), mode.c_str(), offered, s.requests, s.duration_s);
  run_warmup(ctx, s,
             phase.mode == ArrivalMode::kClosedLoop ? phase.concurrency
                                                    : static_cast<int>(std::ceil(s.rate)));
  auto [summary, result] = run_level(ctx, s, phase, mode, offered, s.warmup);
  std::printf("%s", format_level_table(summary).c_str());
  print_cache_hint(s, {summary});
  if (!s.json_file.empty()) {
    json out = {
        {"schema", "dsinfer.bench/v1"}, {"run", ctx.run_meta}, {"summary", level_to_json(summary)}};
    if (s.json_records) out["requests"] = records_to_json(result);
    write_file(s.json_file, out.dump(2) + "\n");
    std::printf("wrote %s\n", s.json_file.c_str());
  }
  if (summary.ok == 0) {
    fail(ErrorKind::kUnavailable, "no request succeeded ({} failed; first: {})", summary.failed,
         first_error(result));
  }
}

void run_sweep(const BenchSettings& s, const SweepSettings& sweep) {
  if (sweep.rates.empty() == sweep.concurrency.empty()) {
    fail(ErrorKind::kInvalidInput,
         "bench sweep needs --rates R1,R2,... or --concurrency N1,N2,...");
  }
  std::optional<SloSpec> slo;
  if (sweep.slo_p95_s) {
    if (!(*sweep.slo_p95_s > 0))
      fail(ErrorKind::kInvalidInput, "--slo-p95 {} must be > 0", *sweep.slo_p95_s);
    slo = SloSpec{parse_slo_metric(sweep.slo_metric), *sweep.slo_p95_s, sweep.slo_max_error_rate};
  }
  const bool by_rate = !sweep.rates.empty();
  std::vector<double> levels;
  for (const double r : sweep.rates) {
    if (!(r > 0) || !std::isfinite(r)) fail(ErrorKind::kInvalidInput, "--rates: {} is not > 0", r);
    levels.push_back(r);
  }
  for (const int c : sweep.concurrency) {
    if (c < 1) fail(ErrorKind::kInvalidInput, "--concurrency: {} is not >= 1", c);
    levels.push_back(c);
  }
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  BenchContext ctx = make_context(s, s.warmup + s.requests * levels.size());
  const std::string mode = by_rate ? "rate" : "concurrency";
  std::printf("dsinfer bench sweep: %s, model %s, %s levels:",
              ctx.runner.url.with_route(api_route(ctx.runner.request.api)).c_str(),
              ctx.runner.request.model.c_str(), mode.c_str());
  for (const double l : levels) std::printf(" %g", l);
  std::printf("\n");
  run_warmup(
      ctx, s,
      by_rate ? static_cast<int>(std::ceil(levels.front())) : static_cast<int>(levels.front()));

  std::vector<LevelSummary> summaries;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (i > 0 && sweep.pause_s > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(sweep.pause_s));
    }
    LoadPhase phase;
    phase.max_requests = s.requests;
    phase.duration_s = s.duration_s;
    phase.seed = s.seed + i;
    if (by_rate) {
      phase.mode = ArrivalMode::kOpenLoop;
      phase.rate_per_s = levels[i];
    } else {
      phase.concurrency = static_cast<int>(levels[i]);
    }
    auto [summary, result] = run_level(ctx, s, phase, mode, levels[i], s.warmup + i * s.requests);
    std::printf("%s", format_level_table(summary).c_str());
    if (slo) std::printf("SLO: %s\n", meets_slo(summary, *slo) ? "met" : "missed");
    std::printf("\n");
    summaries.push_back(std::move(summary));
  }

  ctx.run_meta["levels"] = levels;
  const json curve = capacity_curve_json(ctx.run_meta, summaries, slo);
  write_file(sweep.out_prefix + ".json", curve.dump(2) + "\n");
  write_file(sweep.out_prefix + ".csv", capacity_curve_csv(summaries, slo));
  const std::string title = fmt::format("Capacity curve: {} ({} API)", ctx.runner.request.model,
                                        api_name(ctx.runner.request.api));
  const std::string subtitle = fmt::format(
      "{} | max_tokens {} | {} requests per level | {} | {}", s.url,
      ctx.runner.request.max_tokens ? std::to_string(*ctx.runner.request.max_tokens)
                                    : std::string("server default"),
      s.requests,
      s.prompts_file.empty() ? fmt::format("translation workload, prompt-len {}", s.prompt_len)
                             : s.prompts_file,
      ctx.run_meta["started_at"].get<std::string>());
  write_file(sweep.out_prefix + ".svg", capacity_curve_svg(summaries, slo, title, subtitle));

  std::printf("%-12s %10s %12s %10s %10s %10s %8s %8s %6s\n", mode.c_str(), "req/s", "out tok/s",
              "e2e p95", "ttft p95", "ttft p50", "errors", "cached", "SLO");
  for (const auto& l : summaries) {
    const auto cached = l.cache.answer_share();
    std::printf("%-12g %10.3f %12.1f %10.3f %10.3f %10.3f %7.1f%% %8s %6s\n", l.offered_load,
                l.requests_per_s, l.output_tokens_per_s, l.e2e.p95, l.ttft.p95, l.ttft.p50,
                l.error_rate * 100.0,
                cached ? fmt::format("{:.1f}%", *cached * 100.0).c_str() : "-",
                slo ? (meets_slo(l, *slo) ? "met" : "missed") : "-");
  }
  print_cache_hint(s, summaries);
  if (slo) {
    const auto cap = slo_capacity_index(summaries, *slo);
    if (cap) {
      const bool compute = std::string_view(capacity_basis(summaries, *cap)) == "compute";
      std::printf(
          "SLO capacity (%s p95 <= %g s, errors <= %g %%): %s %g (%.3f requests/s, %.1f output "
          "tok/s)%s\n",
          slo_metric_name(slo->metric), slo->p95_s, slo->max_error_rate * 100.0, mode.c_str(),
          summaries[*cap].offered_load, summaries[*cap].requests_per_s,
          summaries[*cap].output_tokens_per_s,
          compute ? ""
                  : " -- NOT compute capacity: most answers up to it came from the translation "
                    "cache");
    } else {
      std::printf("SLO capacity (%s p95 <= %g s): none of the levels meets it\n",
                  slo_metric_name(slo->metric), slo->p95_s);
    }
  }
  std::printf("wrote %s.json, %s.csv, %s.svg\n", sweep.out_prefix.c_str(), sweep.out_prefix.c_str(),
              sweep.out_prefix.c_str());
}

}  // namespace dsinfer::cli
