// Creation of the metric families and the process gauges read from /proc at scrape time.
#include "metrics/server_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include <prometheus/text_serializer.h>

#include "metrics/metric_names.h"

namespace dsinfer::metrics {
namespace {

// CPU seconds (user + system) and resident bytes of this process, from /proc/self/stat.
bool read_process_stats(double& cpu_s, double& rss_bytes) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  std::vector<std::string> v;
  while (fields >> f) v.push_back(f);
  // After "pid (comm) ", field 3 (state) is v[0]; utime is field 14 → v[11], stime v[12],
  // rss (pages) field 24 → v[21].
  if (v.size() < 22) return false;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  cpu_s = (std::stod(v[11]) + std::stod(v[12])) / ticks;
  rss_bytes = std::stod(v[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return true;
}

// Start of this process, seconds since the epoch: its start time in clock ticks after boot
// (field 22 of /proc/self/stat) plus the boot time (btime of /proc/stat); 0 when unreadable.
double read_process_start_time() {
  std::ifstream stat_in("/proc/self/stat");
  std::string line;
  if (!std::getline(stat_in, line)) return 0;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  std::vector<std::string> v;
  while (fields >> f) v.push_back(f);
  if (v.size() < 20) return 0;  // starttime is field 22 -> v[19]
  std::ifstream boot_in("/proc/stat");
  double btime = 0;
  for (std::string key; boot_in >> key;) {
    if (key == "btime") {
      boot_in >> btime;
      break;
    }
    boot_in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  if (btime <= 0) return 0;
  return btime + std::stod(v[19]) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

std::vector<double> latency_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.075, 0.1,  0.15, 0.2,  0.25, 0.3,  0.35,
          0.4,   0.45, 0.5,   0.55, 0.6,   0.7,  0.8,  0.9,  1.0,  1.25, 1.5,
          1.75,  2.0,  3.0,   5.0,  10.0,  20.0, 30.0, 60.0, 120.0};
}

std::vector<double> ttft_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4,
          0.5,   0.75, 1.0,   1.5,  2.0,   3.0, 5.0,  10.0, 20.0, 60.0};
}

std::vector<double> tpot_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05,
          0.075, 0.1,    0.15,  0.2,  0.3,  0.5,  1.0,  2.0};
}

std::vector<double> queue_buckets() {
  return {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0};
}

ServerMetrics::ServerMetrics(const BuildLabels& build)
    : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  auto& r = *registry_;
  latency_ = &BuildHistogram()
                  .Name(names::kLatency)
                  .Help("End-to-end latency of requests admitted to the engine")
                  .Register(r)
                  .Add({}, latency_buckets());
  ttft_ = &BuildHistogram()
               .Name(names::kTimeToFirstToken)
               .Help("Time from arrival to the first generated token")
               .Register(r)
               .Add({}, ttft_buckets());
  tpot_ = &BuildHistogram()
               .Name(names::kTimePerOutputToken)
               .Help("Mean time per generated token after the first, per request")
               .Register(r)
               .Add({}, tpot_buckets());
  queue_ = &BuildHistogram()
                .Name(names::kQueueTime)
                .Help("Time a request waited before its first engine step")
                .Register(r)
                .Add({}, queue_buckets());
  steps_ = &BuildHistogram()
                .Name(names::kStepSeconds)
                .Help(
                    "Duration of engine steps (one forward pass over the batch, then sampling); "
                    "kind: prefill (a step that ran a prompt chunk) or decode")
                .Register(r);
  requests_ = &BuildCounter()
                   .Name(names::kRequests)
                   .Help("HTTP requests answered, by route template and status code")
                   .Register(r);
  auto counter = [&r](const char* name, const char* help) {
    return &BuildCounter().Name(name).Help(help).Register(r).Add({});
  };
  auto gauge = [&r](const char* name, const char* help) {
    return &BuildGauge().Name(name).Help(help).Register(r).Add({});
  };
  prompt_tokens_ = counter(names::kPromptTokens, "Prompt tokens of admitted requests");
  generation_tokens_ = counter(names::kGenerationTokens, "Generated tokens");
  prefix_hits_ = counter(names::kPrefixCacheHits, "Prompt tokens served from the prefix cache");
  prefix_queries_ = counter(names::kPrefixCacheQueries, "Prompt tokens looked up in the cache");
  translation_hits_ = counter(names::kTranslationCacheHits, "Segments served from the cache");
  running_ = gauge(names::kRequestsRunning, "Sequences in the running batch");
  waiting_ = gauge(names::kRequestsWaiting, "Sequences waiting for admission");
  kv_usage_ = gauge(names::kKvCacheUsage, "Fraction of KV cache blocks in use (0..1)");
  ready_ = gauge(names::kReady, "1 when the server is ready to receive traffic");
  engine_failed_ = &BuildGauge()
                        .Name(names::kEngineFailed)
                        .Help(
                            "1 once the engine has failed for good (reason: device_lost); the "
                            "process must be restarted")
                        .Register(r);
  startup_phase_ = &BuildGauge()
                        .Name(names::kStartupPhase)
                        .Help("Duration of each start-up phase (map, load, warmup)")
                        .Register(r);
  BuildGauge()
      .Name(names::kBuildInfo)
      .Help("Build identity; value is always 1")
      .Register(r)
      .Add({{"version", build.version}, {"commit", build.commit}, {"isa", build.isa}})
      .Set(1);
  kv_cache_config_ = &BuildGauge()
                          .Name(names::kKvCacheConfig)
                          .Help("KV cache configuration (block_size in tokens); value is always 1")
                          .Register(r);
  device_memory_used_ =
      &BuildGauge()
           .Name(names::kDeviceMemoryUsed)
           .Help("Device memory this process holds on the device the model runs on, bytes")
           .Register(r);
  device_memory_total_ = &BuildGauge()
                              .Name(names::kDeviceMemoryTotal)
                              .Help("Memory of the device the model runs on, bytes")
                              .Register(r);
  process_cpu_ = counter(names::kProcessCpu, "CPU time of this process (user + system), seconds");
  process_rss_ = gauge(names::kProcessRss, "Resident memory of this process, bytes");
  process_start_ = gauge(names::kProcessStart, "Start time of this process, seconds since epoch");
  process_start_->Set(read_process_start_time());
}

void ServerMetrics::observe_request(double latency_s, double ttft_s, double tpot_s,
                                    double queue_s) {
  latency_->Observe(latency_s);
  if (ttft_s >= 0) ttft_->Observe(ttft_s);
  if (tpot_s >= 0) tpot_->Observe(tpot_s);
  if (queue_s >= 0) queue_->Observe(queue_s);
}

void ServerMetrics::count_request(const std::string& route, int status_code) {
  requests_->Add({{"route", route}, {"code", std::to_string(status_code)}}).Increment();
}

void ServerMetrics::add_tokens(int64_t prompt, int64_t generated) {
  prompt_tokens_->Increment(static_cast<double>(prompt));
  generation_tokens_->Increment(static_cast<double>(generated));
}

void ServerMetrics::add_prefix_cache(int64_t hit_tokens, int64_t query_tokens) {
  prefix_hits_->Increment(static_cast<double>(hit_tokens));
  prefix_queries_->Increment(static_cast<double>(query_tokens));
}

void ServerMetrics::set_prefix_cache_totals(int64_t hit_tokens, int64_t query_tokens) {
  std::lock_guard lock(totals_mu_);
  if (hit_tokens > last_hits_)
    prefix_hits_->Increment(static_cast<double>(hit_tokens - last_hits_));
  if (query_tokens > last_queries_) {
    prefix_queries_->Increment(static_cast<double>(query_tokens - last_queries_));
  }
  last_hits_ = std::max(last_hits_, hit_tokens);
  last_queries_ = std::max(last_queries_, query_tokens);
}

void ServerMetrics::set_step_totals(const std::string& kind, std::span<const double> bounds,
                                    std::span<const int64_t> counts, double sum_seconds) {
  if (counts.size() != bounds.size() + 1) return;  // not a histogram of these bounds
  std::lock_guard lock(totals_mu_);
  StepSeen& seen = steps_seen_[kind];
  if (seen.histogram == nullptr) {
    seen.histogram = &steps_->Add(
        {{"kind", kind}}, prometheus::Histogram::BucketBoundaries(bounds.begin(), bounds.end()));
    seen.counts.assign(counts.size(), 0);
  }
  std::vector<double> increments(counts.size(), 0.0);
  bool grew = false;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] <= seen.counts[i]) continue;  // counters never go down
    increments[i] = static_cast<double>(counts[i] - seen.counts[i]);
    seen.counts[i] = counts[i];
    grew = true;
  }
  if (!grew) return;
  seen.histogram->ObserveMultiple(increments, std::max(0.0, sum_seconds - seen.sum_seconds));
  seen.sum_seconds = std::max(seen.sum_seconds, sum_seconds);
}

void ServerMetrics::add_translation_cache_hits(int64_t n) {
  translation_hits_->Increment(static_cast<double>(n));
}

void ServerMetrics::set_engine_load(int64_t running, int64_t waiting, double kv_usage_ratio) {
  running_->Set(static_cast<double>(running));
  waiting_->Set(static_cast<double>(waiting));
  kv_usage_->Set(kv_usage_ratio);
}

void ServerMetrics::set_ready(bool ready) { ready_->Set(ready ? 1.0 : 0.0); }

void ServerMetrics::set_engine_failed(const std::string& reason) {
  engine_failed_->Add({{"reason", reason}}).Set(1);
}

void ServerMetrics::set_startup_phase(const std::string& phase, double seconds) {
  startup_phase_->Add({{"phase", phase}}).Set(seconds);
}

void ServerMetrics::set_device_memory(const std::string& device, int64_t used_bytes,
                                      int64_t total_bytes) {
  device_memory_used_->Add({{"device", device}}).Set(static_cast<double>(used_bytes));
  device_memory_total_->Add({{"device", device}}).Set(static_cast<double>(total_bytes));
}

void ServerMetrics::set_kv_block_size(int64_t tokens) {
  kv_cache_config_->Add({{"block_size", std::to_string(tokens)}}).Set(1);
}

std::string ServerMetrics::serialize() {
  double cpu = 0;
  double rss = 0;
  if (read_process_stats(cpu, rss)) {
    std::lock_guard lock(cpu_mu_);
    if (cpu > last_cpu_s_) process_cpu_->Increment(cpu - last_cpu_s_);
    last_cpu_s_ = std::max(last_cpu_s_, cpu);
    process_rss_->Set(rss);
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace dsinfer::metrics
