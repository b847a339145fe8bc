// The report of one load level: aggregates of the request records (throughput, latency
// percentiles, errors by kind and status) as a struct, as JSON and as a terminal table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "client/cache_share.h"
#include "client/latency_stats.h"
#include "client/load_runner.h"

namespace dsinfer::client {

// What the server measured for a level's requests, from its histograms (the difference of two
// /metrics scrapes, quantiles as histogram_quantile() computes them): the time from arrival to
// the first generated token, and the time in its queue. For a translation, the first token is
// the first segment's — what a streaming client of one event per segment cannot see.
struct ServerLatency {
  double requests = 0;  // observations of the TTFT histogram during the level
  std::optional<double> ttft_p50, ttft_p95, queue_p95;  // seconds
};

struct LevelSummary {
  std::string mode;         // "concurrency" | "rate"
  double offered_load = 0;  // the concurrency or the rate (requests/s)
  double duration_s = 0;    // first issue .. last end
  std::size_t total = 0;    // issued + not sent
  std::size_t ok = 0;
  std::size_t failed = 0;  // total - ok
  std::size_t status_429 = 0;
  std::map<int, std::size_t> http_errors;  // non-200 statuses (429 included), by status
  std::size_t connect_errors = 0;
  std::size_t dropped = 0;  // connection closed mid-response
  std::size_t timeouts = 0;
  std::size_t stream_errors = 0;
  std::size_t cancelled = 0;
  std::size_t not_sent = 0;
  double error_rate = 0;      // failed / total
  double rate_429 = 0;        // status_429 / total
  double requests_per_s = 0;  // ok / duration
  double output_tokens_per_s = 0;
  double input_tokens_per_s = 0;        // 0 when the server reports no usage
  std::int64_t output_tokens = 0;       // over ok requests
  std::int64_t input_tokens = 0;        // over ok requests that reported usage
  std::string output_token_source;      // "usage", "chunks" or "mixed"
  Distribution e2e, ttft, tpot, itl;    // seconds, over ok requests (ITL: all gaps pooled)
  std::optional<double> cpu_cores;      // server process CPU seconds per second, if scraped
  std::optional<ServerLatency> server;  // when the server exposes the histograms
  CacheShare cache;                     // what the server's caches answered, over ok requests
};

// Aggregates a phase. `mode`/`offered_load` describe the level for the report.
LevelSummary summarize_phase(const PhaseResult& phase, const std::string& mode,
                             double offered_load);

// The summary as JSON (format in docs/bench.md); absent distributions are null.
nlohmann::json level_to_json(const LevelSummary& s);

// The per-request records as JSON (one object per request; times in seconds from its start).
nlohmann::json records_to_json(const PhaseResult& phase);

// A human-readable table of one level (several lines, ending in '\n').
std::string format_level_table(const LevelSummary& s);

}  // namespace dsinfer::client
