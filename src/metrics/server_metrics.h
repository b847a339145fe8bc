// The server's metric registry: every family created once, updated from HTTP threads and the
// engine's stats, serialised in the Prometheus text format for GET /metrics.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace dsinfer::metrics {

// Bucket boundaries (seconds). Latency: 5 ms .. 120 s, dense between 50 ms and 2 s, so that a
// per-pod p95 near a 500 ms target is resolved to within ~10 %.
std::vector<double> latency_buckets();
std::vector<double> ttft_buckets();
std::vector<double> tpot_buckets();
std::vector<double> queue_buckets();

struct BuildLabels {
  std::string version;
  std::string commit;
  std::string isa;
};

// Thread-safe: prometheus-cpp metrics are atomic; label lookups take the family's lock.
class ServerMetrics {
 public:
  explicit ServerMetrics(const BuildLabels& build);

  // One observation per HTTP request admitted to the engine (never for rejected requests).
  void observe_request(double latency_s, double ttft_s, double tpot_s, double queue_s);
  // Every answered request, admitted or not; `route` is the route template.
  void count_request(const std::string& route, int status_code);
  void add_tokens(int64_t prompt, int64_t generated);
  void add_prefix_cache(int64_t hit_tokens, int64_t query_tokens);
  // Sets the prefix-cache counters from the engine's cumulative totals (adds the increase since
  // the last call; counters never go down).
  void set_prefix_cache_totals(int64_t hit_tokens, int64_t query_tokens);
  void add_translation_cache_hits(int64_t n);
  // Sets inference_step_seconds{kind} from the engine's cumulative step histogram: `counts` has
  // one entry per bound of `bounds` plus one above them (not cumulative), `sum_seconds` their
  // total. Adds the increase since the last call; the bounds must not change between calls.
  void set_step_totals(const std::string& kind, std::span<const double> bounds,
                       std::span<const int64_t> counts, double sum_seconds);

  void set_engine_load(int64_t running, int64_t waiting, double kv_usage_ratio);
  void set_ready(bool ready);
  // inference_engine_failed{reason="device_lost"} 1: the engine has failed for good (the series
  // appears then; a healthy server exports the family without series).
  void set_engine_failed(const std::string& reason);
  void set_startup_phase(const std::string& phase, double seconds);
  // Info series inference_kv_cache_config_info{block_size="N"} 1, once the engine is built
  // (prefix-aware routers hash prompts in blocks of this many tokens).
  void set_kv_block_size(int64_t tokens);
  // inference_device_memory_used_bytes / _total_bytes{device="vulkan:0"}: the memory of the
  // device the model runs on (exported only by a device backend; a CPU model has none).
  void set_device_memory(const std::string& device, int64_t used_bytes, int64_t total_bytes);

  // Text exposition format (refreshes the process CPU counter and RSS gauge first).
  std::string serialize();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Histogram* latency_;
  prometheus::Histogram* ttft_;
  prometheus::Histogram* tpot_;
  prometheus::Histogram* queue_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Counter* prompt_tokens_;
  prometheus::Counter* generation_tokens_;
  prometheus::Counter* prefix_hits_;
  prometheus::Counter* prefix_queries_;
  prometheus::Counter* translation_hits_;
  std::mutex totals_mu_;
  int64_t last_hits_ = 0;
  int64_t last_queries_ = 0;
  struct StepSeen {
    prometheus::Histogram* histogram = nullptr;
    std::vector<int64_t> counts;
    double sum_seconds = 0;
  };
  prometheus::Family<prometheus::Histogram>* steps_;
  std::map<std::string, StepSeen> steps_seen_;  // by kind; under totals_mu_
  prometheus::Gauge* running_;
  prometheus::Gauge* waiting_;
  prometheus::Gauge* kv_usage_;
  prometheus::Gauge* ready_;
  prometheus::Family<prometheus::Gauge>* engine_failed_;
  prometheus::Family<prometheus::Gauge>* startup_phase_;
  prometheus::Family<prometheus::Gauge>* kv_cache_config_;
  prometheus::Family<prometheus::Gauge>* device_memory_used_;
  prometheus::Family<prometheus::Gauge>* device_memory_total_;
  std::mutex cpu_mu_;
  double last_cpu_s_ = 0;
  prometheus::Counter* process_cpu_;
  prometheus::Gauge* process_rss_;
  prometheus::Gauge* process_start_;
};

}  // namespace dsinfer::metrics
