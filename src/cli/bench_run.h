// The `dsinfer bench` and `dsinfer bench sweep` runs: settings gathered from the flags, the
// warm-up and measured phases, server CPU scraping, and the reports/files they write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/api_protocol.h"
#include "client/capacity_curve.h"
#include "client/workload.h"

namespace dsinfer::cli {

struct BenchSettings {
  std::string url = "http://127.0.0.1:8080";
  std::string api = "chat";
  std::string model;         // empty: asked from /v1/models (chat/completions)
  std::string api_key;       // never printed
  std::string prompts_file;  // JSONL workload; empty: built-in translation workload
  int prompt_len = 64;
  std::string prompt_len_dist = "fixed";
  std::string source_lang = "mixed";
  double repeat_share = 0;  // built-in workload: share of prompts repeating an earlier one
  int max_tokens = 0;  // 0 = not given: 64 for chat/completions, the server's default for translate
  bool ignore_eos = true;
  double temperature = 0.0;
  bool no_stream = false;
  int concurrency = 0;  // single run: 0 = not given
  double rate = 0;      // single run: 0 = not given
  std::size_t requests = 100;
  double duration_s = 600;
  std::size_t warmup = 2;
  double timeout_s = 300;
  std::uint64_t seed = 1;
  std::size_t max_in_flight = 4096;
  std::string json_file;
  bool json_records = false;
  std::string metrics_url;  // empty: <url>/metrics
  bool no_metrics = false;
};

struct SweepSettings {
  std::vector<double> rates;
  std::vector<int> concurrency;
  std::optional<double> slo_p95_s;
  std::string slo_metric = "e2e";
  double slo_max_error_rate = 0.01;
  std::string out_prefix = "capacity";
  double pause_s = 0;
};

// Runs one measured level and prints/writes its report. Throws Error for bad settings, an
// unreachable host or a run in which no request succeeded (after reporting it).
void run_bench(const BenchSettings& settings);

// Runs every level in turn and writes <out>.json, <out>.csv and <out>.svg. Throws as above.
void run_sweep(const BenchSettings& settings, const SweepSettings& sweep);

}  // namespace dsinfer::cli
