// What the load generator records about one request (timestamps, status, tokens) and the
// per-request metrics derived from it: TTFT, inter-token latencies, TPOT, end-to-end latency.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dsinfer::client {

using BenchClock = std::chrono::steady_clock;

enum class Outcome {
  kOk,
  kHttpError,     // a non-200 status (429 among them)
  kConnectError,  // the TCP connection could not be opened
  kDropped,       // the connection closed before the response was complete
  kTimeout,       // --timeout passed
  kStreamError,   // an error event in the stream, or a malformed event / body
  kCancelled,     // still running when the run ended (never counted as a latency sample)
};

const char* outcome_name(Outcome outcome);

struct RequestRecord {
  std::size_t index = 0;         // order of issue within its phase
  BenchClock::time_point start;  // when the request was issued (before connecting)
  BenchClock::time_point end;    // response complete ("[DONE]" or end of body) or failure
  std::vector<BenchClock::time_point> chunk_times;  // arrival of each event carrying output
  int status = 0;                                   // HTTP status; 0 when none was received
  Outcome outcome = Outcome::kOk;
  std::string error;  // short description for failures
  bool streamed = true;
  std::optional<std::int64_t> usage_prompt_tokens;
  std::optional<std::int64_t> usage_completion_tokens;
  std::optional<std::int64_t> usage_cached_prompt_tokens;  // prefix-cache hits of the prompt
  std::optional<std::int64_t> cached_segments;  // translate: answered from the translation cache
  std::optional<std::int64_t> segments;         // translate: segments of the request, if reported
};

// Per-request metrics in seconds. ttft/tpot are absent when undefined (no output chunk;
// non-streamed; a single output token for TPOT).
struct RequestMetrics {
  double e2e_s = 0;
  std::optional<double> ttft_s;
  std::optional<double> tpot_s;
  std::vector<double> itl_s;       // gaps between consecutive output chunks
  std::int64_t output_tokens = 0;  // usage.completion_tokens if given, else output chunks
  bool output_from_usage = false;
  std::optional<std::int64_t> input_tokens;  // usage.prompt_tokens if given
};

// NOTE: the definitions (docs/bench.md): TTFT = first output chunk - start; ITL = the gaps
// between consecutive output chunks; TPOT = (e2e - TTFT) / (output tokens - 1), so it spreads
// the decode time over tokens even when a server packs several tokens in one chunk.
RequestMetrics compute_request_metrics(const RequestRecord& record);

}  // namespace dsinfer::client
