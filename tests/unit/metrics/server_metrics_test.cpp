// Metrics: names, labels and buckets appear in the exposition as documented.
#include <ctime>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/server_metrics.h"

namespace dsinfer::metrics {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ServerMetrics, ExposesEveryFamily) {
  ServerMetrics m({"0.1.0", "abc", "avx2"});
  m.observe_request(0.42, 0.1, 0.02, 0.001);
  m.count_request("/v1/translate", 200);
  m.count_request("/v1/translate", 429);
  m.add_tokens(10, 5);
  m.set_ready(true);
  m.set_startup_phase("load", 1.5);
  m.set_kv_block_size(16);
  const std::string text = m.serialize();
  for (const char* name :
       {"inference_latency_seconds_bucket", "inference_time_to_first_token_seconds_bucket",
        "inference_time_per_output_token_seconds_bucket", "inference_queue_time_seconds_bucket",
        "inference_prompt_tokens_total 10", "inference_generation_tokens_total 5",
        "inference_prefix_cache_hits_total", "inference_prefix_cache_queries_total",
        "inference_translation_cache_hits_total", "inference_requests_running",
        "inference_requests_waiting", "inference_kv_cache_usage_ratio", "inference_ready 1",
        "process_resident_memory_bytes"}) {
    EXPECT_TRUE(contains(text, name)) << name;
  }
  EXPECT_TRUE(contains(text, R"(inference_requests_total{code="429",route="/v1/translate"} 1)"));
  EXPECT_TRUE(contains(text, R"(inference_startup_phase_seconds{phase="load"} 1.5)"));
  EXPECT_TRUE(contains(text, R"(inference_build_info{commit="abc",isa="avx2",version="0.1.0"} 1)"));
  EXPECT_TRUE(contains(text, R"(inference_kv_cache_config_info{block_size="16"} 1)"));
  // Process series as the Prometheus client libraries export them: CPU time a counter, start
  // time in seconds since the epoch (after 2020, not after now).
  EXPECT_TRUE(contains(text, "# TYPE process_cpu_seconds_total counter"));
  EXPECT_TRUE(contains(text, "# TYPE process_start_time_seconds gauge"));
  const auto at = text.find("\nprocess_start_time_seconds ");
  ASSERT_NE(at, std::string::npos);
  const double start = std::stod(text.substr(at + 28));
  EXPECT_GT(start, 1.577e9);
  EXPECT_LE(start, static_cast<double>(std::time(nullptr)) + 1);
  // The observation 0.42 s lands in the 0.45 bucket, not the 0.4 one.
  EXPECT_TRUE(contains(text, R"(inference_latency_seconds_bucket{le="0.4"} 0)"));
  EXPECT_TRUE(contains(text, R"(inference_latency_seconds_bucket{le="0.45"} 1)"));
}

// The device-memory gauges appear only once a device backend reports them (a CPU model has no
// device memory), labelled by device, and follow the latest values.
TEST(ServerMetrics, DeviceMemoryGaugesPerDevice) {
  ServerMetrics m({"0.1.0", "abc", "avx2"});
  EXPECT_FALSE(contains(m.serialize(), "inference_device_memory_used_bytes{"));
  m.set_device_memory("vulkan:0", 1048576, 2147483648);
  m.set_device_memory("vulkan:0", 2097152, 2147483648);
  const std::string text = m.serialize();
  EXPECT_TRUE(contains(text, "# TYPE inference_device_memory_used_bytes gauge"));
  EXPECT_TRUE(contains(text, R"(inference_device_memory_used_bytes{device="vulkan:0"} 2097152)"));
  EXPECT_TRUE(
      contains(text, R"(inference_device_memory_total_bytes{device="vulkan:0"} 2147483648)"));
}

TEST(ServerMetrics, StepHistogramAddsTheIncreaseOfTheEnginesTotals) {
  ServerMetrics m({"0.1.0", "abc", "avx2"});
  EXPECT_FALSE(contains(m.serialize(), "inference_step_seconds_count{"));
  const std::vector<double> bounds = {0.01, 0.1};
  // Totals as the engine publishes them: per bucket, not cumulative, plus one above the bounds.
  m.set_step_totals("decode", bounds, std::vector<int64_t>{3, 1, 0}, 0.05);
  m.set_step_totals("decode", bounds, std::vector<int64_t>{3, 1, 0}, 0.05);  // nothing new
  m.set_step_totals("decode", bounds, std::vector<int64_t>{5, 1, 2}, 2.5);
  m.set_step_totals("prefill", bounds, std::vector<int64_t>{0, 0, 1}, 1.25);
  m.set_step_totals("prefill", bounds, std::vector<int64_t>{0, 1}, 9.0);  // wrong size: ignored
  const std::string text = m.serialize();
  EXPECT_TRUE(contains(text, "# TYPE inference_step_seconds histogram"));
  EXPECT_TRUE(contains(text, R"(inference_step_seconds_bucket{kind="decode",le="0.01"} 5)"))
      << text;
  EXPECT_TRUE(contains(text, R"(inference_step_seconds_bucket{kind="decode",le="0.1"} 6)"));
  EXPECT_TRUE(contains(text, R"(inference_step_seconds_bucket{kind="decode",le="+Inf"} 8)"));
  EXPECT_TRUE(contains(text, R"(inference_step_seconds_count{kind="decode"} 8)"));
  EXPECT_TRUE(contains(text, R"(inference_step_seconds_sum{kind="decode"} 2.5)"));
  EXPECT_TRUE(contains(text, R"(inference_step_seconds_count{kind="prefill"} 1)"));
  EXPECT_TRUE(contains(text, R"(inference_step_seconds_sum{kind="prefill"} 1.25)"));
}

TEST(ServerMetrics, BucketsAreSortedAndDenseAroundTarget) {
  const auto b = latency_buckets();
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  EXPECT_DOUBLE_EQ(b.front(), 0.005);
  EXPECT_DOUBLE_EQ(b.back(), 120.0);
  int between = 0;
  for (double x : b) between += (x >= 0.05 && x <= 2.0) ? 1 : 0;
  EXPECT_GE(between, 15);
}

}  // namespace
}  // namespace dsinfer::metrics
