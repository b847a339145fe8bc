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

// Status recorded for an exchange whose client went away before its response was complete.
inline constexpr unsigned kClientClosedStatus = 499;

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  // Holds its session alive until the exchange is destroyed. Nothing the exchange owns refers
  // back to it once it is complete: the disconnect action is dropped at completion, so route
  // state that holds the exchange cannot keep the session (and its connection slot) alive.
  Exchange(std::shared_ptr<HttpSession> session, HttpRequest request, std::string request_id);

  const HttpRequest& request() const { return request_; }
  const std::string& request_id() const { return request_id_; }
  std::chrono::steady_clock::time_point arrived() const { return arrived_; }

  // A complete response (Content-Length). Only the first completing call counts.
  void respond(unsigned status, std::string body,
               const std::string& content_type = "application/json", const Headers& headers = {});
  void respond_error(unsigned status, const std::string& json_body, const Headers& headers = {});

  // A streamed response: `text/event-stream`, chunked.
  // declare_stream() makes the exchange a stream without sending anything yet: the 200 headers
  // go out with the first send()/finish_stream() or with start_stream(), whichever comes first.
  // retract_stream() undoes a declaration whose headers have not gone out (returns false when
  // they have: the response is then a stream whatever happens).
  void declare_stream(const Headers& headers = {});
  bool retract_stream();
  void start_stream(const Headers& headers = {});
  // One chunk (ignored before declare/start, after completion, or when empty).
  void send(std::string data);
  void finish_stream();

  // The client is gone: completes the exchange with status 499 (logs, metrics) whatever its
  // shape; no further bytes are sent. Idempotent; a no-op once complete.
  void abandon();

  // Called once, from the strand, if the client disconnects before the response is complete
  // (immediately when it already has). Dropped, uncalled, once the exchange completes.
  void set_on_disconnect(std::function<void()> fn);
  bool disconnected() const { return disconnected_.load(); }
  bool streaming() const { return streaming_.load(); }
  bool completed() const { return completed_.load(); }
  unsigned status() const { return status_.load(); }
  // When the last response bytes were handed to the connection (arrival before any).
  std::chrono::steady_clock::time_point last_output() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_output_.load()));
  }

  // Filled in by handlers; read once the exchange completes.
  ExchangeStats& stats() { return stats_; }
  std::mutex& stats_mutex() { return stats_mu_; }

  // Session side: runs the disconnect action, then abandons the exchange.
  void notify_disconnect();

 private:
  // Call with out_mu_ held.
  void post(std::string bytes, bool last);
  void flush_stream_head();
  void complete_locked();

  std::shared_ptr<HttpSession> session_;
  HttpRequest request_;
  std::string request_id_;
  std::chrono::steady_clock::time_point arrived_;
  std::atomic<bool> streaming_{false};
  std::atomic<bool> completed_{false};
  std::atomic<bool> disconnected_{false};
  std::atomic<unsigned> status_{0};
  std::atomic<std::chrono::steady_clock::rep> last_output_;
  // Guards the response state below and orders posts (head before chunks, one completion).
  std::mutex out_mu_;
  bool head_sent_ = false;
  std::string stream_head_;  // declared stream's headers, not yet sent
  std::mutex mu_;
  std::function<void()> on_disconnect_;
  std::mutex stats_mu_;
  ExchangeStats stats_;
};

}  // namespace dsinfer::server
