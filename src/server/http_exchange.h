// One HTTP request and its response, as route handlers see it. Every method is thread-safe:
// output is posted to the connection's strand, so handlers may answer from engine callbacks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace dsinfer::server {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpSession;

// What the request log line and the metrics need, filled in by the handler.
struct ExchangeStats {
  std::string route = "unmatched";  // the route template
  bool admitted = false;            // reached the engine (observed in the latency histogram)
  bool in_flight = false;           // counted in the drain's in-flight total
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t cached_segments = 0;  // translation cache hits
  double queue_s = -1;
  double ttft_s = -1;
  double tpot_s = -1;
};

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  // Holds its session alive until the response is complete (the session drops the exchange
  // then), so a response finished after a disconnect is still observed (logs, metrics, drain).
  Exchange(std::shared_ptr<HttpSession> session, HttpRequest request, std::string request_id);

  const HttpRequest& request() const { return request_; }
  const std::string& request_id() const { return request_id_; }
  std::chrono::steady_clock::time_point arrived() const { return arrived_; }

  // A complete response (Content-Length). Only the first response call counts.
  void respond(unsigned status, std::string body,
               const std::string& content_type = "application/json", const Headers& headers = {});
  void respond_error(unsigned status, const std::string& json_body, const Headers& headers = {});
  // A streamed response: `text/event-stream`, chunked. send() writes one chunk.
  void start_stream(const Headers& headers = {});
  void send(std::string data);
  void finish_stream();

  // Called once if the client disconnects before the response is complete (from the strand).
  void set_on_disconnect(std::function<void()> fn);
  bool disconnected() const { return disconnected_.load(); }
  bool streaming() const { return streaming_.load(); }
  bool completed() const { return completed_.load(); }
  unsigned status() const { return status_.load(); }

  // Filled in by handlers; read once the exchange completes.
  ExchangeStats& stats() { return stats_; }
  std::mutex& stats_mutex() { return stats_mu_; }

  // Session side.
  void notify_disconnect();
  std::function<void()> take_on_disconnect();

 private:
  void post(std::string bytes, bool last);

  std::shared_ptr<HttpSession> session_;
  HttpRequest request_;
  std::string request_id_;
  std::chrono::steady_clock::time_point arrived_;
  std::atomic<bool> started_{false};
  std::atomic<bool> streaming_{false};
  std::atomic<bool> completed_{false};
  std::atomic<bool> disconnected_{false};
  std::atomic<unsigned> status_{0};
  std::mutex mu_;
  std::function<void()> on_disconnect_;
  std::mutex stats_mu_;
  ExchangeStats stats_;
};

}  // namespace dsinfer::server
