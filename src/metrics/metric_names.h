// Every metric name dsinfer exports, in one place (documented in docs/metrics.md).
#pragma once

namespace dsinfer::metrics::names {

inline constexpr const char* kLatency = "inference_latency_seconds";
inline constexpr const char* kTimeToFirstToken = "inference_time_to_first_token_seconds";
inline constexpr const char* kTimePerOutputToken = "inference_time_per_output_token_seconds";
inline constexpr const char* kQueueTime = "inference_queue_time_seconds";
inline constexpr const char* kStepSeconds = "inference_step_seconds";
inline constexpr const char* kRequests = "inference_requests_total";
inline constexpr const char* kPromptTokens = "inference_prompt_tokens_total";
inline constexpr const char* kGenerationTokens = "inference_generation_tokens_total";
inline constexpr const char* kPrefixCacheHits = "inference_prefix_cache_hits_total";
inline constexpr const char* kPrefixCacheQueries = "inference_prefix_cache_queries_total";
inline constexpr const char* kTranslationCacheHits = "inference_translation_cache_hits_total";
inline constexpr const char* kRequestsRunning = "inference_requests_running";
inline constexpr const char* kRequestsWaiting = "inference_requests_waiting";
inline constexpr const char* kKvCacheUsage = "inference_kv_cache_usage_ratio";
inline constexpr const char* kReady = "inference_ready";
inline constexpr const char* kEngineFailed = "inference_engine_failed";
inline constexpr const char* kStartupPhase = "inference_startup_phase_seconds";
inline constexpr const char* kBuildInfo = "inference_build_info";
inline constexpr const char* kKvCacheConfig = "inference_kv_cache_config_info";
inline constexpr const char* kDeviceMemoryUsed = "inference_device_memory_used_bytes";
inline constexpr const char* kDeviceMemoryTotal = "inference_device_memory_total_bytes";
inline constexpr const char* kProcessCpu = "process_cpu_seconds_total";
inline constexpr const char* kProcessRss = "process_resident_memory_bytes";
inline constexpr const char* kProcessStart = "process_start_time_seconds";

}  // namespace dsinfer::metrics::names
