// Beast/Asio implementation of one streamed HTTP/1.1 exchange, and a small blocking GET.
#include "client/http_exchange.h"

#include <array>
#include <limits>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/error.h"

namespace dsinfer::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class BeastExchange : public HttpExchange, public std::enable_shared_from_this<BeastExchange> {
 public:
  BeastExchange(asio::io_context& ioc, const HttpUrl& url, HttpRequestSpec spec,
                std::shared_ptr<ExchangeHandler> handler, BenchClock::time_point deadline)
      : stream_(ioc), handler_(std::move(handler)), deadline_(deadline) {
    request_.method(spec.method == "GET" ? http::verb::get : http::verb::post);
    request_.target(spec.target);
    request_.version(11);
    request_.set(http::field::host, url.host_header());
    request_.set(http::field::user_agent, "dsinfer-bench");
    request_.set(http::field::accept, "application/json, text/event-stream");
    for (const auto& [name, value] : spec.headers) request_.set(name, value);
    if (!spec.body.empty()) {
      request_.set(http::field::content_type, "application/json");
      request_.body() = std::move(spec.body);
    }
    request_.prepare_payload();
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
  }

  void begin(const tcp::resolver::results_type& endpoints) {
    stream_.expires_at(deadline_);
    stream_.async_connect(endpoints,
                          [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                            self->on_connect(ec);
                          });
  }

  void cancel() override {
    if (ended_) return;
    cancelled_ = true;
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

 private:
  void on_connect(beast::error_code ec) {
    if (ec) return end_with_error(ec, TransportEnd::kConnectFailed, "connect");
    stream_.expires_at(deadline_);
    http::async_write(
        stream_, request_,
        [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_write(e); });
  }

  void on_write(beast::error_code ec) {
    if (ec) return end_with_error(ec, TransportEnd::kDropped, "write");
    stream_.expires_at(deadline_);
    http::async_read_header(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_header(e); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return end_with_error(ec, TransportEnd::kDropped, "read header");
    const auto& header = parser_.get();
    const auto content_type = header[http::field::content_type];
    handler_->on_status(static_cast<int>(header.result_int()),
                        std::string_view(content_type.data(), content_type.size()),
                        BenchClock::now());
    if (parser_.is_done()) return end(TransportEnd::kComplete, {});
    read_some();
  }

  void read_some() {
    parser_.get().body().data = body_.data();
    parser_.get().body().size = body_.size();
    stream_.expires_at(deadline_);
    http::async_read_some(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_read(e); });
  }

  void on_read(beast::error_code ec) {
    const auto now = BenchClock::now();
    if (ec == http::error::need_buffer) ec = {};
    const std::size_t got = body_.size() - parser_.get().body().size;
    if (got > 0 && !handler_->on_body(std::string_view(body_.data(), got), now)) {
      return end(TransportEnd::kComplete, {});
    }
    if (ec) return end_with_error(ec, TransportEnd::kDropped, "read body");
    if (parser_.is_done()) return end(TransportEnd::kComplete, {});
    read_some();
  }

  void end_with_error(beast::error_code ec, TransportEnd kind, const char* stage) {
    if (cancelled_) return end(TransportEnd::kCancelled, "cancelled");
    if (ec == beast::error::timeout)
      return end(TransportEnd::kTimeout, std::string("timeout in ") + stage);
    end(kind, std::string(stage) + ": " + ec.message());
  }

  void end(TransportEnd kind, const std::string& detail) {
    if (ended_) return;
    ended_ = true;
    const auto now = BenchClock::now();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    handler_->on_end(kind, detail, now);
    handler_.reset();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response_parser<http::buffer_body> parser_;
  std::array<char, 16 * 1024> body_{};
  std::shared_ptr<ExchangeHandler> handler_;
  BenchClock::time_point deadline_;
  bool cancelled_ = false;
  bool ended_ = false;
};

// Collects a whole body (for http_get_text).
class TextCollector : public ExchangeHandler {
 public:
  void on_status(int status, std::string_view, BenchClock::time_point) override {
    status_ = status;
  }
  bool on_body(std::string_view bytes, BenchClock::time_point) override {
    body_.append(bytes);
    return body_.size() < kLimit;
  }
  void on_end(TransportEnd end, const std::string& detail, BenchClock::time_point) override {
    if (end != TransportEnd::kComplete) {
      status_ = 0;
      body_ = detail;
    }
  }
  int status_ = 0;
  std::string body_;

 private:
  static constexpr std::size_t kLimit = 32 * 1024 * 1024;
};

}  // namespace

std::shared_ptr<HttpExchange> start_exchange(asio::io_context& ioc,
                                             const tcp::resolver::results_type& endpoints,
                                             const HttpUrl& url, HttpRequestSpec spec,
                                             std::shared_ptr<ExchangeHandler> handler,
                                             BenchClock::time_point deadline) {
  auto exchange =
      std::make_shared<BeastExchange>(ioc, url, std::move(spec), std::move(handler), deadline);
  exchange->begin(endpoints);
  return exchange;
}

tcp::resolver::results_type resolve_endpoints(asio::io_context& ioc, const HttpUrl& url) {
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  auto results = resolver.resolve(url.host, url.port, ec);
  if (ec)
    fail(ErrorKind::kUnavailable, "cannot resolve '{}:{}': {}", url.host, url.port, ec.message());
  return results;
}

std::pair<int, std::string> http_get_text(const HttpUrl& url, std::string_view route,
                                          const std::string& api_key,
                                          std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  tcp::resolver::results_type endpoints;
  try {
    endpoints = resolve_endpoints(ioc, url);
  } catch (const Error& e) {
    return {0, e.what()};
  }
  HttpRequestSpec spec;
  spec.method = "GET";
  spec.target = url.path_prefix + std::string(route);
  if (!api_key.empty()) spec.headers.emplace_back("Authorization", "Bearer " + api_key);
  auto collector = std::make_shared<TextCollector>();
  start_exchange(ioc, endpoints, url, std::move(spec), collector, BenchClock::now() + timeout);
  ioc.run();
  return {collector->status_, std::move(collector->body_)};
}

}  // namespace dsinfer::client
