// Aggregation of request records into a level summary, and its JSON / table forms.
#include "client/bench_report.h"

#include <fmt/format.h>

namespace dsinfer::client {

using nlohmann::json;

LevelSummary summarize_phase(const PhaseResult& phase, const std::string& mode,
                             double offered_load) {
  LevelSummary s;
  s.mode = mode;
  s.offered_load = offered_load;
  s.duration_s = std::chrono::duration<double>(phase.end - phase.start).count();
  s.not_sent = phase.not_sent;
  s.total = phase.records.size() + phase.not_sent;
  std::vector<double> e2e, ttft, tpot, itl;
  bool any_usage = false, any_chunks = false;
  for (const auto& r : phase.records) {
    switch (r.outcome) {
      case Outcome::kOk:
        break;
      case Outcome::kHttpError:
        ++s.http_errors[r.status];
        if (r.status == 429) ++s.status_429;
        continue;
      case Outcome::kConnectError:
        ++s.connect_errors;
        continue;
      case Outcome::kDropped:
        ++s.dropped;
        continue;
      case Outcome::kTimeout:
        ++s.timeouts;
        continue;
      case Outcome::kStreamError:
        ++s.stream_errors;
        continue;
      case Outcome::kCancelled:
        ++s.cancelled;
        continue;
    }
    ++s.ok;
    const RequestMetrics m = compute_request_metrics(r);
    e2e.push_back(m.e2e_s);
    if (m.ttft_s) ttft.push_back(*m.ttft_s);
    if (m.tpot_s) tpot.push_back(*m.tpot_s);
    itl.insert(itl.end(), m.itl_s.begin(), m.itl_s.end());
    s.output_tokens += m.output_tokens;
    (m.output_from_usage ? any_usage : any_chunks) = true;
    if (m.input_tokens) s.input_tokens += *m.input_tokens;
    add_to_cache_share(s.cache, r);
  }
  s.failed = s.total - s.ok;
  s.output_token_source = any_usage && any_chunks ? "mixed" : (any_usage ? "usage" : "chunks");
  if (s.total > 0) {
    s.error_rate = static_cast<double>(s.failed) / static_cast<double>(s.total);
    s.rate_429 = static_cast<double>(s.status_429) / static_cast<double>(s.total);
  }
  if (s.duration_s > 0) {
    s.requests_per_s = static_cast<double>(s.ok) / s.duration_s;
    s.output_tokens_per_s = static_cast<double>(s.output_tokens) / s.duration_s;
    s.input_tokens_per_s = static_cast<double>(s.input_tokens) / s.duration_s;
  }
  s.e2e = summarize(std::move(e2e));
  s.ttft = summarize(std::move(ttft));
  s.tpot = summarize(std::move(tpot));
  s.itl = summarize(std::move(itl));
  return s;
}

namespace {

json distribution_to_json(const Distribution& d) {
  if (d.count == 0) return nullptr;
  return {{"count", d.count}, {"mean", d.mean}, {"min", d.min}, {"max", d.max},
          {"p50", d.p50},     {"p90", d.p90},   {"p95", d.p95}, {"p99", d.p99}};
}

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json cache_to_json(const CacheShare& c) {
  json translation = nullptr;
  if (c.translate_responses > 0) {
    translation = {{"responses", c.translate_responses},
                   {"segments", c.segments},
                   {"segments_estimated", c.segments_estimated},
                   {"cached_segments", c.cached_segments},
                   {"requests_all_cached", c.requests_all_cached},
                   {"answer_share", optional_number(c.answer_share())}};
  }
  json prefix = nullptr;
  if (c.prompt_cache_responses > 0) {
    prefix = {{"responses", c.prompt_cache_responses},
              {"prompt_tokens", c.prompt_tokens},
              {"cached_prompt_tokens", c.cached_prompt_tokens},
              {"share", optional_number(c.prompt_share())}};
  }
  return {
      {"translation", translation}, {"prefix", prefix}, {"cache_dominated", c.cache_dominated()}};
}

std::string ms(const Distribution& d, double v) {
  return d.count == 0 ? std::string("-") : fmt::format("{:.1f}", v * 1000.0);
}

}  // namespace

json level_to_json(const LevelSummary& s) {
  json statuses = json::object();
  for (const auto& [status, n] : s.http_errors) statuses[std::to_string(status)] = n;
  json j;
  j["mode"] = s.mode;
  j["offered_load"] = s.offered_load;
  j["duration_s"] = s.duration_s;
  j["requests"] = {{"total", s.total},
                   {"ok", s.ok},
                   {"failed", s.failed},
                   {"status_429", s.status_429},
                   {"http_errors_by_status", statuses},
                   {"connect_errors", s.connect_errors},
                   {"dropped", s.dropped},
                   {"timeouts", s.timeouts},
                   {"stream_errors", s.stream_errors},
                   {"cancelled", s.cancelled},
                   {"not_sent", s.not_sent}};
  j["error_rate"] = s.error_rate;
  j["rate_429"] = s.rate_429;
  j["throughput"] = {{"requests_per_s", s.requests_per_s},
                     {"output_tokens_per_s", s.output_tokens_per_s},
                     {"input_tokens_per_s", s.input_tokens_per_s},
                     {"output_tokens", s.output_tokens},
                     {"input_tokens", s.input_tokens},
                     {"output_token_source", s.output_token_source}};
  j["latency_s"] = {{"e2e", distribution_to_json(s.e2e)},
                    {"ttft", distribution_to_json(s.ttft)},
                    {"tpot", distribution_to_json(s.tpot)},
                    {"itl", distribution_to_json(s.itl)}};
  j["replica"] = {{"cpu_cores", s.cpu_cores ? json(*s.cpu_cores) : json(nullptr)}};
  if (s.server) {
    const auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    j["server_latency_s"] = {{"requests", s.server->requests},
                             {"ttft_p50", opt(s.server->ttft_p50)},
                             {"ttft_p95", opt(s.server->ttft_p95)},
                             {"queue_p95", opt(s.server->queue_p95)}};
  } else {
    j["server_latency_s"] = nullptr;
  }
  j["cache"] = cache_to_json(s.cache);
  return j;
}

json records_to_json(const PhaseResult& phase) {
  json out = json::array();
  for (const auto& r : phase.records) {
    const RequestMetrics m = compute_request_metrics(r);
    json j = {{"index", r.index},
              {"start_s", std::chrono::duration<double>(r.start - phase.start).count()},
              {"outcome", outcome_name(r.outcome)},
              {"status", r.status},
              {"e2e_s", m.e2e_s},
              {"ttft_s", m.ttft_s ? json(*m.ttft_s) : json(nullptr)},
              {"tpot_s", m.tpot_s ? json(*m.tpot_s) : json(nullptr)},
              {"output_chunks", r.chunk_times.size()},
              {"output_tokens", m.output_tokens},
              {"input_tokens", m.input_tokens ? json(*m.input_tokens) : json(nullptr)}};
    if (r.usage_cached_prompt_tokens) j["cached_prompt_tokens"] = *r.usage_cached_prompt_tokens;
    if (r.cached_segments) j["cached_segments"] = *r.cached_segments;
    if (r.segments) j["segments"] = *r.segments;
    if (!r.error.empty()) j["error"] = r.error;
    out.push_back(std::move(j));
  }
  return out;
}

std::string format_level_table(const LevelSummary& s) {
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  line(fmt::format("load: {} {:g} | {:.2f} s | requests {} ok, {} failed ({:.1f} %)", s.mode,
                   s.offered_load, s.duration_s, s.ok, s.failed, s.error_rate * 100.0));
  line(fmt::format("throughput: {:.3f} requests/s, {:.1f} output tok/s ({}), {:.1f} input tok/s",
                   s.requests_per_s, s.output_tokens_per_s, s.output_token_source,
                   s.input_tokens_per_s));
  line(fmt::format("{:<10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>8}", "ms", "mean", "p50", "p90",
                   "p95", "p99", "max", "n"));
  const auto row = [&](const char* name, const Distribution& d) {
    line(fmt::format("{:<10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>8}", name, ms(d, d.mean),
                     ms(d, d.p50), ms(d, d.p90), ms(d, d.p95), ms(d, d.p99), ms(d, d.max),
                     d.count));
  };
  row("e2e", s.e2e);
  row("ttft", s.ttft);
  row("tpot", s.tpot);
  row("itl", s.itl);
  if (s.failed > 0) {
    std::string statuses;
    for (const auto& [status, n] : s.http_errors) statuses += fmt::format(" {}:{}", status, n);
    line(
        fmt::format("errors: 429: {} | http by status:{} | connect: {} | dropped: {} | "
                    "timeout: {} | stream: {} | cancelled: {} | not sent: {}",
                    s.status_429, statuses.empty() ? " none" : statuses, s.connect_errors,
                    s.dropped, s.timeouts, s.stream_errors, s.cancelled, s.not_sent));
  }
  if (s.cpu_cores) line(fmt::format("server CPU: {:.2f} cores", *s.cpu_cores));
  if (s.server && s.server->ttft_p95) {
    const auto sec_ms = [](const std::optional<double>& v) {
      return v ? fmt::format("{:.1f}", *v * 1000.0) : std::string("-");
    };
    line(fmt::format(
        "server histograms ({:.0f} requests): TTFT p50 {} ms, p95 {} ms; queue p95 {} ms",
        s.server->requests, sec_ms(s.server->ttft_p50), sec_ms(s.server->ttft_p95),
        sec_ms(s.server->queue_p95)));
  }
  const CacheShare& c = s.cache;
  if (const auto share = c.answer_share()) {
    line(fmt::format("translation cache: {} of {}{} segments ({:.1f} %), {} requests wholly",
                     c.cached_segments, c.segments_estimated ? ">= " : "", c.segments,
                     *share * 100.0, c.requests_all_cached));
  }
  if (const auto share = c.prompt_share()) {
    line(fmt::format("prefix cache: {} of {} prompt tokens ({:.1f} %)", c.cached_prompt_tokens,
                     c.prompt_tokens, *share * 100.0));
  }
  if (c.cache_dominated()) {
    line(fmt::format(
        "WARNING: {:.0f} % of the answers came from the translation cache: this level measures "
        "the cache, not compute",
        c.answer_share().value_or(0) * 100.0));
  }
  return out;
}

}  // namespace dsinfer::client
