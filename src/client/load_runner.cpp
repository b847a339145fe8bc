// The load phase: issues requests (closed or open loop) on one Asio event loop and records
// every response as it streams in.
#include "client/load_runner.h"

#include <csignal>
#include <deque>
#include <unordered_map>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/error.h"
#include "client/arrival_schedule.h"
#include "client/http_exchange.h"
#include "client/sse_parser.h"

namespace dsinfer::client {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kErrorBodyLimit = 64 * 1024;
constexpr std::size_t kWholeBodyLimit = 64 * 1024 * 1024;

// Fills one RequestRecord from the streamed (SSE) or whole response of one API request.
class ApiResponseHandler : public ExchangeHandler {
 public:
  ApiResponseHandler(Api api, RequestRecord& record, std::function<void()> on_done)
      : api_(api),
        record_(record),
        on_done_(std::move(on_done)),
        sse_([this](const SseEvent& e) { on_event(e); }) {}

  void on_status(int status, std::string_view content_type, BenchClock::time_point) override {
    record_.status = status;
    // A server that ignores "stream": true answers with one JSON body: read it whole (the
    // request then has no TTFT/ITL, like a --no-stream one).
    if (status == 200 && record_.streamed &&
        content_type.find("event-stream") == std::string_view::npos &&
        content_type.find("json") != std::string_view::npos) {
      record_.streamed = false;
    }
  }

  bool on_body(std::string_view bytes, BenchClock::time_point at) override {
    if (record_.status != 200 || !record_.streamed) {
      const std::size_t limit = record_.status == 200 ? kWholeBodyLimit : kErrorBodyLimit;
      body_.append(bytes.substr(0, std::min(bytes.size(), limit - std::min(limit, body_.size()))));
      return body_.size() < limit;
    }
    now_ = at;
    sse_.feed(bytes);
    return !done_at_ && !stream_error_;
  }

  void on_end(TransportEnd end, const std::string& detail, BenchClock::time_point at) override {
    record_.end = done_at_.value_or(at);
    record_.outcome = classify(end, detail);
    on_done_();
  }

 private:
  void on_event(const SseEvent& e) {
    if (done_at_ || stream_error_) return;
    const ResponseUpdate u = interpret_stream_event(api_, e.data);
    apply(u, now_);
    if (u.done) done_at_ = now_;
  }

  void apply(const ResponseUpdate& u, BenchClock::time_point at) {
    if (u.content_bytes > 0) record_.chunk_times.push_back(at);
    if (u.prompt_tokens) record_.usage_prompt_tokens = u.prompt_tokens;
    if (u.completion_tokens) record_.usage_completion_tokens = u.completion_tokens;
    if (u.cached_prompt_tokens) record_.usage_cached_prompt_tokens = u.cached_prompt_tokens;
    if (u.cached_segments) record_.cached_segments = u.cached_segments;
    if (u.segments) record_.segments = u.segments;
    if (u.error) stream_error_ = u.error;
  }

  Outcome classify(TransportEnd end, const std::string& detail) {
    switch (end) {
      case TransportEnd::kConnectFailed:
        record_.error = detail;
        return Outcome::kConnectError;
      case TransportEnd::kTimeout:
        record_.error = detail;
        return Outcome::kTimeout;
      case TransportEnd::kCancelled:
        record_.error = detail;
        return Outcome::kCancelled;
      case TransportEnd::kDropped:
      case TransportEnd::kComplete:
        break;
    }
    if (record_.status != 0 && record_.status != 200) {
      record_.error = fmt::format("HTTP {}: {}", record_.status, error_message_of(body_));
      return Outcome::kHttpError;
    }
    if (stream_error_) {
      record_.error = *stream_error_;
      return Outcome::kStreamError;
    }
    if (end == TransportEnd::kDropped && !done_at_) {
      record_.error = detail;
      return Outcome::kDropped;
    }
    if (!record_.streamed) {
      const ResponseUpdate u = interpret_response_body(api_, body_);
      apply(u, record_.end);
      if (u.error) {
        record_.error = *u.error;
        return Outcome::kStreamError;
      }
    }
    return Outcome::kOk;
  }

  Api api_;
  RequestRecord& record_;
  std::function<void()> on_done_;
  SseParser sse_;
  std::string body_;
  BenchClock::time_point now_;
  std::optional<BenchClock::time_point> done_at_;
  std::optional<std::string> stream_error_;
};

class PhaseRunner {
 public:
  PhaseRunner(const RunnerConfig& config, const LoadPhase& phase,
              const std::vector<Prompt>& prompts, std::size_t prompt_offset,
              const std::function<void(const ProgressSnapshot&)>& progress)
      : config_(config),
        phase_(phase),
        prompts_(prompts),
        prompt_offset_(prompt_offset),
        progress_(progress),
        endpoints_(resolve_endpoints(ioc_, config.url)),
        arrival_timer_(ioc_),
        stop_timer_(ioc_),
        progress_timer_(ioc_),
        signals_(ioc_, SIGINT, SIGTERM),
        arrivals_(phase.mode == ArrivalMode::kOpenLoop ? phase.rate_per_s : 1.0, phase.seed) {}

  PhaseResult run() {
    start_ = BenchClock::now();
    stop_timer_.expires_at(start_ + std::chrono::duration_cast<BenchClock::duration>(
                                        std::chrono::duration<double>(phase_.duration_s)));
    stop_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) stop_issuing();
    });
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      interrupted_ = true;
      stop_issuing();
      for (auto& [index, exchange] : in_flight_) exchange->cancel();
    });
    if (progress_) schedule_progress();
    if (phase_.mode == ArrivalMode::kClosedLoop) {
      const auto n =
          std::min<std::size_t>(static_cast<std::size_t>(phase_.concurrency), phase_.max_requests);
      for (std::size_t i = 0; i < n && !stop_; ++i) issue();
      if (n == 0) stop_issuing();
    } else {
      next_arrival_ = start_;
      schedule_arrival();
    }
    ioc_.run();
    PhaseResult result;
    result.records.assign(std::make_move_iterator(records_.begin()),
                          std::make_move_iterator(records_.end()));
    result.start = start_;
    result.end = start_;
    for (const auto& r : result.records) result.end = std::max(result.end, r.end);
    result.not_sent = not_sent_;
    result.interrupted = interrupted_;
    return result;
  }

 private:
  void issue() {
    const std::size_t index = records_.size();
    RequestRecord& record = records_.emplace_back();
    record.index = index;
    record.streamed = config_.request.stream;
    const Prompt& prompt = prompts_[(prompt_offset_ + index) % prompts_.size()];
    HttpRequestSpec spec;
    spec.target = config_.url.path_prefix + api_route(config_.request.api);
    spec.body = build_request_body(config_.request, prompt);
    if (!config_.api_key.empty())
      spec.headers.emplace_back("Authorization", "Bearer " + config_.api_key);
    auto handler = std::make_shared<ApiResponseHandler>(config_.request.api, record,
                                                        [this, index] { on_done(index); });
    record.start = BenchClock::now();
    const auto deadline =
        record.start + std::chrono::duration_cast<BenchClock::duration>(
                           std::chrono::duration<double>(config_.request_timeout_s));
    ++issued_;
    in_flight_[index] =
        start_exchange(ioc_, endpoints_, config_.url, std::move(spec), handler, deadline);
  }

  void on_done(std::size_t index) {
    in_flight_.erase(index);
    ++finished_;
    if (records_[index].outcome != Outcome::kOk) ++failed_;
    if (phase_.mode == ArrivalMode::kClosedLoop && !stop_) {
      if (issued_ < phase_.max_requests) {
        issue();
      } else {
        stop_issuing();
      }
    }
    maybe_finish();
  }

  void schedule_arrival() {
    next_arrival_ += std::chrono::duration_cast<BenchClock::duration>(
        std::chrono::duration<double>(arrivals_.next_gap_s()));
    const auto stop_at = start_ + std::chrono::duration_cast<BenchClock::duration>(
                                      std::chrono::duration<double>(phase_.duration_s));
    if (issued_ + not_sent_ >= phase_.max_requests || next_arrival_ >= stop_at) {
      stop_issuing();
      return;
    }
    arrival_timer_.expires_at(next_arrival_);
    arrival_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || stop_) return;
      if (in_flight_.size() >= config_.max_in_flight) {
        ++not_sent_;
      } else {
        issue();
      }
      schedule_arrival();
    });
  }

  void schedule_progress() {
    progress_timer_.expires_after(std::chrono::milliseconds(250));
    progress_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      progress_(snapshot());
      schedule_progress();
    });
  }

  ProgressSnapshot snapshot() const {
    ProgressSnapshot s;
    s.issued = issued_;
    s.finished = finished_;
    s.failed = failed_ + not_sent_;
    s.in_flight = in_flight_.size();
    s.elapsed_s = std::chrono::duration<double>(BenchClock::now() - start_).count();
    return s;
  }

  void stop_issuing() {
    stop_ = true;
    arrival_timer_.cancel();
    maybe_finish();
  }

  void maybe_finish() {
    if (!stop_ || !in_flight_.empty()) return;
    stop_timer_.cancel();
    progress_timer_.cancel();
    signals_.cancel();
    if (progress_) progress_(snapshot());
  }

  const RunnerConfig& config_;
  const LoadPhase& phase_;
  const std::vector<Prompt>& prompts_;
  std::size_t prompt_offset_;
  const std::function<void(const ProgressSnapshot&)>& progress_;
  asio::io_context ioc_;
  asio::ip::tcp::resolver::results_type endpoints_;
  asio::steady_timer arrival_timer_;
  asio::steady_timer stop_timer_;
  asio::steady_timer progress_timer_;
  asio::signal_set signals_;
  PoissonArrivals arrivals_;
  std::deque<RequestRecord> records_;
  std::unordered_map<std::size_t, std::shared_ptr<HttpExchange>> in_flight_;
  BenchClock::time_point start_;
  BenchClock::time_point next_arrival_;
  std::size_t issued_ = 0;
  std::size_t finished_ = 0;
  std::size_t failed_ = 0;
  std::size_t not_sent_ = 0;
  bool stop_ = false;
  bool interrupted_ = false;
};

}  // namespace

PhaseResult run_phase(const RunnerConfig& config, const LoadPhase& phase,
                      const std::vector<Prompt>& prompts, std::size_t prompt_offset,
                      const std::function<void(const ProgressSnapshot&)>& progress) {
  if (prompts.empty()) fail(ErrorKind::kInvalidInput, "the workload has no prompts");
  if (phase.mode == ArrivalMode::kClosedLoop && phase.concurrency < 1) {
    fail(ErrorKind::kInvalidInput, "--concurrency {} must be >= 1", phase.concurrency);
  }
  if (!(phase.duration_s > 0))
    fail(ErrorKind::kInvalidInput, "--duration {} must be > 0", phase.duration_s);
  if (!(config.request_timeout_s > 0)) {
    fail(ErrorKind::kInvalidInput, "--timeout {} must be > 0", config.request_timeout_s);
  }
  PhaseRunner runner(config, phase, prompts, prompt_offset, progress);
  return runner.run();
}

}  // namespace dsinfer::client
