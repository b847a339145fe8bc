// Per-request metrics from recorded timestamps.
#include "client/request_record.h"

namespace dsinfer::client {

namespace {

double seconds(BenchClock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kHttpError:
      return "http_error";
    case Outcome::kConnectError:
      return "connect_error";
    case Outcome::kDropped:
      return "dropped";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kStreamError:
      return "stream_error";
    case Outcome::kCancelled:
      return "cancelled";
  }
  return "?";
}

RequestMetrics compute_request_metrics(const RequestRecord& r) {
  RequestMetrics m;
  m.e2e_s = seconds(r.end - r.start);
  const auto chunks = static_cast<std::int64_t>(r.chunk_times.size());
  if (r.usage_completion_tokens) {
    m.output_tokens = *r.usage_completion_tokens;
    m.output_from_usage = true;
  } else {
    m.output_tokens = chunks;
  }
  m.input_tokens = r.usage_prompt_tokens;
  if (!r.streamed || r.chunk_times.empty()) return m;
  m.ttft_s = seconds(r.chunk_times.front() - r.start);
  m.itl_s.reserve(r.chunk_times.size() - 1);
  for (std::size_t i = 1; i < r.chunk_times.size(); ++i) {
    m.itl_s.push_back(seconds(r.chunk_times[i] - r.chunk_times[i - 1]));
  }
  if (m.output_tokens > 1) {
    m.tpot_s = (m.e2e_s - *m.ttft_s) / static_cast<double>(m.output_tokens - 1);
  }
  return m;
}

}  // namespace dsinfer::client
