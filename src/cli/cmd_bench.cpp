// `dsinfer bench` and `dsinfer bench sweep`: the flags of the load generator (docs/bench.md).
#include "base/error.h"
#include "cli/bench_run.h"
#include "cli/commands.h"

namespace dsinfer::cli {

namespace {

// Flags shared by `bench` and `bench sweep` (sweep falls through to its parent for them).
void add_common_flags(CLI::App* cmd, BenchSettings& s) {
  cmd->add_option("--url", s.url, "Base URL of the server under test (http://HOST:PORT[/PREFIX])")
      ->capture_default_str();
  cmd->add_option("--api", s.api, "Request shape: translate | chat | completions")
      ->capture_default_str();
  cmd->add_option("--model", s.model, "Model name sent in requests (default: first of /v1/models)");
  // Not add_setting: the client's key must not be read from the server's DSINFER_API_KEY.
  cmd->add_option("--api-key", s.api_key, "Bearer key for the server (never printed)")
      ->envname("DSINFER_BENCH_API_KEY");
  cmd->add_option(
      "--prompts", s.prompts_file,
      "JSONL workload (one {\"prompt\"|\"text\"|\"messages\", \"max_tokens\"?} per line); "
      "default: the built-in translation workload");
  cmd->add_option(
         "--prompt-len", s.prompt_len,
         "Built-in workload: segment length in estimated tokens (the instruction is extra)")
      ->capture_default_str();
  cmd->add_option("--prompt-len-dist", s.prompt_len_dist,
                  "Built-in workload: fixed | uniform (x0.5..x1.5) | lognormal (sigma 0.5)")
      ->capture_default_str();
  cmd->add_option("--source-lang", s.source_lang, "Built-in workload: zh | en | mixed")
      ->capture_default_str();
  cmd->add_option("--repeat-share", s.repeat_share,
                  "Built-in workload: share of requests repeating an earlier segment (a "
                  "translation-cache hit rate modelled on purpose); 0 = all distinct")
      ->capture_default_str();
  cmd->add_option("--max-tokens", s.max_tokens,
                  "Tokens to generate per request (default 64; translate: not sent, the "
                  "server's per-segment default)");
  cmd->add_flag("--ignore-eos,!--no-ignore-eos", s.ignore_eos,
                "Send ignore_eos (chat/completions) so every request generates --max-tokens")
      ->capture_default_str();
  cmd->add_option("--temperature", s.temperature, "Sampling temperature")->capture_default_str();
  cmd->add_flag("--no-stream", s.no_stream, "Non-streaming requests (no TTFT/ITL/TPOT)");
  cmd->add_option("--requests", s.requests, "At most this many measured requests (per level)")
      ->capture_default_str();
  cmd->add_option("--duration", s.duration_s,
                  "No request is issued after this many seconds (per level); in-flight ones finish")
      ->capture_default_str();
  cmd->add_option("--warmup", s.warmup, "Requests sent first and not measured")
      ->capture_default_str();
  cmd->add_option("--timeout", s.timeout_s, "Per-request timeout, seconds")->capture_default_str();
  cmd->add_option("--seed", s.seed, "Seed of the workload and of the Poisson arrivals")
      ->capture_default_str();
  cmd->add_option("--max-in-flight", s.max_in_flight,
                  "Open loop: arrivals beyond this many in flight are not sent (counted as errors)")
      ->capture_default_str();
  cmd->add_option("--metrics-url", s.metrics_url,
                  "Where to read process_cpu_seconds_total (default: <url>/metrics)");
  cmd->add_flag("--no-metrics", s.no_metrics, "Do not scrape the server's /metrics");
}

}  // namespace

void add_bench(CLI::App& app) {
  auto settings = std::make_shared<BenchSettings>();
  auto sweep_settings = std::make_shared<SweepSettings>();
  auto* cmd = app.add_subcommand(
      "bench", "Load generator for dsinfer or any OpenAI-compatible server (docs/bench.md)");
  add_common_flags(cmd, *settings);
  cmd->add_option("--concurrency", settings->concurrency, "Closed loop: requests kept in flight");
  cmd->add_option("--rate", settings->rate, "Open loop: Poisson arrivals, requests/s");
  cmd->add_option("--json", settings->json_file, "Write the report as JSON to FILE");
  cmd->add_flag("--json-records", settings->json_records, "Include every request in --json");

  auto* sweep = cmd->add_subcommand(
      "sweep", "Run several load levels and write the capacity curve (JSON, CSV, SVG)");
  sweep->fallthrough();
  auto* rates = sweep->add_option("--rates", sweep_settings->rates, "Open-loop levels, requests/s")
                    ->delimiter(',');
  auto* conc = sweep
                   ->add_option("--concurrency", sweep_settings->concurrency,
                                "Closed-loop levels, concurrent requests")
                   ->delimiter(',');
  rates->excludes(conc);
  sweep->add_option("--slo-p95", sweep_settings->slo_p95_s,
                    "p95 latency target in seconds; reports the highest level meeting it");
  sweep
      ->add_option(
          "--slo-metric", sweep_settings->slo_metric,
          "Latency the SLO applies to: e2e | ttft | server_ttft (the server's TTFT histogram)")
      ->capture_default_str();
  sweep
      ->add_option("--slo-max-error-rate", sweep_settings->slo_max_error_rate,
                   "A level failing more than this share of requests misses the SLO")
      ->capture_default_str();
  sweep
      ->add_option("--out", sweep_settings->out_prefix,
                   "Writes PREFIX.json, PREFIX.csv, PREFIX.svg")
      ->capture_default_str();
  sweep->add_option("--pause", sweep_settings->pause_s, "Seconds of idle between levels")
      ->capture_default_str();

  cmd->callback([settings, sweep_settings, sweep] {
    if (sweep->parsed()) {
      if (settings->concurrency != 0 || settings->rate != 0) {
        fail(ErrorKind::kInvalidInput,
             "bench sweep: give the levels as sweep's --rates or --concurrency lists");
      }
      run_sweep(*settings, *sweep_settings);
    } else {
      run_bench(*settings);
    }
  });
}

}  // namespace dsinfer::cli
