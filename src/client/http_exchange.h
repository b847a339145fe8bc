// One HTTP/1.1 request/response over its own TCP connection on an Asio event loop (Beast),
// with the response body delivered in pieces as it arrives (what streaming metrics need).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "client/http_url.h"
#include "client/request_record.h"

namespace dsinfer::client {

struct HttpRequestSpec {
  std::string method = "POST";  // "GET" or "POST"
  std::string target;           // "/v1/chat/completions"
  std::string body;             // sent with Content-Type: application/json when non-empty
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

enum class TransportEnd {
  kComplete,       // the response was read to its end (or the handler stopped reading)
  kConnectFailed,  // no connection
  kDropped,        // the peer closed or reset before the response was complete
  kTimeout,        // the deadline passed
  kCancelled,      // cancel() was called
};

// Receives the response of one exchange; all calls come from the event loop's thread.
class ExchangeHandler {
 public:
  virtual ~ExchangeHandler() = default;
  // The status line and headers arrived; `content_type` is the Content-Type header ("" if none).
  virtual void on_status(int status, std::string_view content_type, BenchClock::time_point at) = 0;
  // The next piece of the (de-chunked) body arrived. Return false to stop reading (the
  // exchange then ends as kComplete and the connection is closed).
  virtual bool on_body(std::string_view bytes, BenchClock::time_point at) = 0;
  // Called exactly once, last; `detail` describes failures.
  virtual void on_end(TransportEnd end, const std::string& detail, BenchClock::time_point at) = 0;
};

// One request in flight. Create with start_exchange(); it keeps itself alive until on_end.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  // Closes the connection; the exchange then ends with kCancelled. Loop thread only.
  virtual void cancel() = 0;
};

// Starts `spec` to one of `endpoints` on `ioc`; the whole exchange must finish before
// `deadline` (else kTimeout). The handler is held until on_end has run.
std::shared_ptr<HttpExchange> start_exchange(
    boost::asio::io_context& ioc, const boost::asio::ip::tcp::resolver::results_type& endpoints,
    const HttpUrl& url, HttpRequestSpec spec, std::shared_ptr<ExchangeHandler> handler,
    BenchClock::time_point deadline);

// Resolves the URL's host and port (blocking). Throws Error(kUnavailable) naming the host.
boost::asio::ip::tcp::resolver::results_type resolve_endpoints(boost::asio::io_context& ioc,
                                                               const HttpUrl& url);

// A blocking GET of `route` on `url` (own event loop), for /v1/models and /metrics.
// Returns {status, body}; status 0 with the failure in body when no response arrived.
std::pair<int, std::string> http_get_text(const HttpUrl& url, std::string_view route,
                                          const std::string& api_key,
                                          std::chrono::milliseconds timeout);

}  // namespace dsinfer::client
