// Runs one load phase against a server: closed loop (N requests always in flight) or open loop
// (Poisson arrivals at a rate), bounded in count and time; returns one record per request.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "client/api_protocol.h"
#include "client/http_url.h"
#include "client/request_record.h"

namespace dsinfer::client {

enum class ArrivalMode { kClosedLoop, kOpenLoop };

struct LoadPhase {
  ArrivalMode mode = ArrivalMode::kClosedLoop;
  int concurrency = 1;             // closed loop: requests kept in flight
  double rate_per_s = 1.0;         // open loop: mean Poisson arrival rate
  std::size_t max_requests = 100;  // no more than this many are issued
  double duration_s = 600;         // no request is issued after this; in-flight ones may finish
  std::uint64_t seed = 1;          // arrival gaps of the open loop
};

struct RunnerConfig {
  HttpUrl url;
  RequestOptions request;
  std::string api_key;  // sent as "Authorization: Bearer"; never printed
  double request_timeout_s = 300;
  std::size_t max_in_flight = 4096;  // open loop: arrivals beyond this are not sent (counted)
};

struct ProgressSnapshot {
  std::size_t issued = 0;
  std::size_t finished = 0;
  std::size_t failed = 0;
  std::size_t in_flight = 0;
  double elapsed_s = 0;
};

struct PhaseResult {
  std::vector<RequestRecord> records;  // in order of issue
  BenchClock::time_point start;        // the phase began (first issue)
  BenchClock::time_point end;          // the last request ended
  std::size_t not_sent = 0;            // open-loop arrivals dropped at max_in_flight
  bool interrupted = false;            // SIGINT/SIGTERM: in-flight requests were cancelled
};

// Runs `phase` on the calling thread (one Asio event loop; no other thread). Request i uses
// prompts[(prompt_offset + i) % prompts.size()]. `progress`, if set, is called about every
// 250 ms on this thread. Failures of requests are recorded, never thrown; throws Error only
// for bad arguments (empty prompts, concurrency < 1, ...) or an unresolvable host.
PhaseResult run_phase(const RunnerConfig& config, const LoadPhase& phase,
                      const std::vector<Prompt>& prompts, std::size_t prompt_offset,
                      const std::function<void(const ProgressSnapshot&)>& progress);

}  // namespace dsinfer::client
