// HTTP/1.1 connection state machine on Boost.Beast.
#include "server/http_session.h"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "server/api_error.h"

namespace dsinfer::server {
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;

namespace {

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(s));
}

std::string new_request_id() {
  static std::atomic<uint64_t> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return fmt::format("{:x}-{:x}", static_cast<uint64_t>(now) & 0xffffffffffull, ++counter);
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, const HttpLimits& limits,
                         RequestHandler handler, ExchangeObserver observer,
                         std::function<bool()> closing, std::function<void()> on_close)
    : stream_(std::move(socket)),
      limits_(limits),
      handler_(std::move(handler)),
      observer_(std::move(observer)),
      closing_(std::move(closing)),
      on_close_(std::move(on_close)) {}

HttpSession::~HttpSession() {
  if (on_close_) on_close_();
}

net::any_io_executor HttpSession::executor() { return stream_.get_executor(); }

void HttpSession::start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

// An idle keep-alive connection waits up to keepalive_timeout for the first byte; from then on
// the whole head must arrive within header_timeout (slow senders are cut off).
void HttpSession::wait_for_request() {
  if (closed_) return;
  if (buffer_.size() > 0) {
    read_header();
    return;
  }
  stream_.expires_after(seconds(limits_.keepalive_timeout_s));
  stream_.async_read_some(buffer_.prepare(8192),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            if (ec) {
                              self->close();
                              return;
                            }
                            self->buffer_.commit(n);
                            self->read_header();
                          });
}

void HttpSession::read_header() {
  parser_.emplace();
  parser_->header_limit(16 * 1024);
  parser_->body_limit(static_cast<uint64_t>(limits_.max_body_bytes));
  stream_.expires_after(seconds(limits_.header_timeout_s));
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    reject(413, fmt::format("request body exceeds --max-body-bytes {}", limits_.max_body_bytes));
    return;
  }
  if (ec == http::error::header_limit) {
    reject(431, "request header fields too large (limit 16 KiB)");
    return;
  }
  if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::operation_aborted || ec == net::error::connection_reset) {
    close();
    return;
  }
  if (ec) {
    reject(400, "malformed HTTP request: " + ec.message());
    return;
  }
  auto& req = parser_->get();
  if (const auto len = parser_->content_length();
      len && *len > static_cast<uint64_t>(limits_.max_body_bytes)) {
    reject(413, fmt::format("request body of {} bytes exceeds --max-body-bytes {}", *len,
                            limits_.max_body_bytes));
    return;
  }
  const auto expect = req[http::field::expect];
  if (!parser_->is_done() && beast::iequals(expect, "100-continue")) {
    out_.emplace_back("HTTP/1.1 100 Continue\r\n\r\n");
    if (!writing_) write_next();
  }
  read_body();
}

void HttpSession::read_body() {
  if (parser_->is_done()) {
    dispatch();
    return;
  }
  stream_.expires_after(seconds(limits_.body_timeout_s));
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     if (ec == http::error::body_limit) {
                       self->reject(413, fmt::format("request body exceeds --max-body-bytes {}",
                                                     self->limits_.max_body_bytes));
                       return;
                     }
                     if (ec == beast::error::timeout) {
                       self->reject(408, "request body not received in time");
                       return;
                     }
                     if (ec) {
                       self->close();
                       return;
                     }
                     self->dispatch();
                   });
}

void HttpSession::dispatch() {
  HttpRequest req = parser_->release();
  keep_alive_ = req.keep_alive();
  std::string id(req["X-Request-Id"]);
  if (id.empty() || id.size() > 128) id = new_request_id();
  response_complete_ = false;
  current_ = std::make_shared<Exchange>(shared_from_this(), std::move(req), std::move(id));
  stream_.expires_never();
  watch_disconnect();
  try {
    handler_(current_);
  } catch (const std::exception& e) {
    spdlog::error("request handler threw: {}", e.what());
    current_->respond_error(500, error_body_for_status(500, "internal error"));
  }
}

// NOTE: while a request is being answered we keep one read pending: it completes with an error
// when the client goes away (then the handler cancels the engine work), or with the bytes of a
// pipelined next request, which stay in buffer_ for the next parse.
void HttpSession::watch_disconnect() {
  if (watching_ || closed_) return;
  if (buffer_.size() > static_cast<size_t>(limits_.max_body_bytes) + 65536) return;
  watching_ = true;
  stream_.async_read_some(buffer_.prepare(8192),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            self->watching_ = false;
                            if (!ec) {
                              self->buffer_.commit(n);
                              if (self->resume_after_watch_) {
                                self->resume_after_watch_ = false;
                                self->wait_for_request();
                              } else {
                                self->watch_disconnect();
                              }
                              return;
                            }
                            if (ec == net::error::operation_aborted && self->resume_after_watch_) {
                              self->resume_after_watch_ = false;
                              self->wait_for_request();
                              return;
                            }
                            self->exchange_disconnected();
                          });
}

void HttpSession::exchange_disconnected() {
  if (current_ && !response_complete_) current_->notify_disconnect();
  close();
}

void HttpSession::enqueue(std::string bytes, bool last) {
  if (last && !response_complete_) {
    response_complete_ = true;
    if (current_ && observer_) observer_(*current_);  // also when the client is gone
  }
  if (closed_) {
    if (last) current_.reset();  // breaks the exchange <-> session cycle
    return;
  }
  out_.push_back(std::move(bytes));
  if (!writing_) write_next();
}

void HttpSession::write_next() {
  if (out_.empty()) {
    writing_ = false;
    if (response_complete_ && current_) on_exchange_done();
    return;
  }
  writing_ = true;
  net::async_write(stream_, net::buffer(out_.front()),
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     if (ec) {
                       self->exchange_disconnected();
                       return;
                     }
                     self->out_.pop_front();
                     self->write_next();
                   });
}

void HttpSession::on_exchange_done() {
  current_.reset();
  if (!keep_alive_ || (closing_ && closing_())) {
    close();
    return;
  }
  if (watching_) {
    // Stop the disconnect watch; its completion resumes reading the next request.
    resume_after_watch_ = true;
    beast::error_code ec;
    stream_.socket().cancel(ec);
    return;
  }
  wait_for_request();
}

void HttpSession::reject(unsigned status, const std::string& message) {
  keep_alive_ = false;
  response_complete_ = false;
  HttpRequest dummy;
  current_ = std::make_shared<Exchange>(shared_from_this(), std::move(dummy), new_request_id());
  current_->stats().route = "invalid";
  current_->respond(status, error_body_for_status(static_cast<int>(status), message),
                    "application/json", {{"Connection", "close"}});
}

void HttpSession::close() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace dsinfer::server
