// HTTP/1.1 connection state machine on Boost.Beast.
#include "server/http_session.h"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
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

// Free space left in the connection's input buffer for one read.
size_t read_room(const beast::flat_buffer& b) {
  return std::min<size_t>(8192, b.max_size() - b.size());
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, const HttpLimits& limits,
                         RequestHandler handler, ExchangeObserver observer,
                         std::function<bool()> closing, std::function<void()> on_close)
    : stream_(std::move(socket)),
      buffer_(static_cast<size_t>(kHeaderLimit + limits.max_body_bytes + 8192)),
      write_timer_(stream_.get_executor()),
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

void HttpSession::close_if_idle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    // Beast's parser consumes a request line before the rest of the head has arrived: a request
    // that has started arriving is tracked by in_request_, not by buffered bytes.
    if (!self->current_ && !self->in_request_ && self->out_.empty() && self->buffer_.size() == 0) {
      self->close();
    }
  });
}

// An idle keep-alive connection waits up to keepalive_timeout for the first byte; from then on
// the whole head must arrive within header_timeout (slow senders are cut off).
void HttpSession::wait_for_request() {
  if (closed_) return;
  if (buffer_.size() > 0) {
    read_header();
    return;
  }
  if (peer_eof_) {
    close();  // nothing buffered and nothing more can come
    return;
  }
  stream_.expires_after(seconds(limits_.keepalive_timeout_s));
  stream_.async_read_some(buffer_.prepare(read_room(buffer_)),
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
  in_request_ = true;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(kHeaderLimit));
  parser_->body_limit(static_cast<uint64_t>(limits_.max_body_bytes));
  body_bytes_ = 0;
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
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
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
    out_bytes_ += static_cast<int64_t>(out_.back().size());
    if (!writing_) write_next();
  }
  read_body();
}

// NOTE: the body is read piece by piece so that every byte the parser consumes after the head
// counts against --max-body-bytes: chunk sizes, chunk extensions and trailers included, not only
// the decoded body (which is all Beast's body_limit sees). A chunk line that never ends is not
// consumed by the parser; the input buffer's max_size cuts it off.
void HttpSession::read_body() {
  if (parser_->is_done()) {
    dispatch();
    return;
  }
  stream_.expires_after(seconds(limits_.body_timeout_s));
  http::async_read_some(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t n) { self->on_body(ec, n); });
}

void HttpSession::on_body(beast::error_code ec, size_t n) {
  body_bytes_ += static_cast<int64_t>(n);
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow ||
      (!ec && body_bytes_ > limits_.max_body_bytes)) {
    reject(413, fmt::format("request body exceeds --max-body-bytes {} (as sent, chunk framing "
                            "included)",
                            limits_.max_body_bytes));
    return;
  }
  if (ec == beast::error::timeout) {
    reject(408, "request body not received in time");
    return;
  }
  if (ec) {
    close();
    return;
  }
  read_body();
}

void HttpSession::dispatch() {
  in_request_ = false;
  HttpRequest req = parser_->release();
  keep_alive_ = req.keep_alive();
  std::string id(req["X-Request-Id"]);
  if (id.empty() || id.size() > 128) id = new_request_id();
  if (closing_ && closing_()) {
    // Draining and no longer accepting: this connection takes no new work.
    reject(503, "the server is shutting down");
    return;
  }
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
// pipelined next request, which stay in buffer_ for the next parse (up to the buffer's bound;
// then the watch pauses). End of stream is a half-close, not a disconnect: the client may still
// be reading; a client that is really gone is noticed when a write fails.
void HttpSession::watch_disconnect() {
  if (watching_ || closed_ || peer_eof_) return;
  const size_t room = read_room(buffer_);
  if (room == 0) return;
  watching_ = true;
  stream_.async_read_some(buffer_.prepare(room),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            self->watching_ = false;
                            const bool resume = std::exchange(self->resume_after_watch_, false);
                            if (!ec || ec == net::error::eof) {
                              self->buffer_.commit(n);
                              if (ec) self->peer_eof_ = true;
                              if (resume) {
                                self->wait_for_request();
                              } else {
                                self->watch_disconnect();
                              }
                              return;
                            }
                            if (ec == net::error::operation_aborted && resume) {
                              self->wait_for_request();
                              return;
                            }
                            self->exchange_disconnected("client disconnected");
                          });
}

void HttpSession::exchange_disconnected(const char* why) {
  const bool cut = std::string_view(why).starts_with("reader too slow");
  if (!closed_ && (cut || (current_ && !response_complete_))) {
    spdlog::info(R"({{"event":"client_gone","request_id":"{}","reason":"{}"}})",
                 current_ ? current_->request_id() : "", why);
  }
  close();
}

void HttpSession::enqueue(Exchange& ex, std::string bytes, bool last) {
  if (last && observer_) observer_(ex);  // once per exchange, also when the client is gone
  if (closed_ || &ex != current_.get()) return;
  if (last) response_complete_ = true;
  if (!bytes.empty()) {
    out_bytes_ += static_cast<int64_t>(bytes.size());
    out_.push_back(std::move(bytes));
    // What waits behind the write in progress (the front): one large response never counts
    // against the bound; a stream whose events pile up does.
    if (out_bytes_ - static_cast<int64_t>(out_.front().size()) > limits_.max_output_bytes) {
      exchange_disconnected("reader too slow: --max-output-bytes queued");
      return;
    }
  }
  if (!writing_) write_next();
}

void HttpSession::write_next() {
  if (closed_) return;
  if (out_.empty()) {
    writing_ = false;
    if (response_complete_ && current_) on_exchange_done();
    return;
  }
  writing_ = true;
  write_timer_.expires_after(seconds(limits_.write_timeout_s));
  write_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && self->writing_) self->exchange_disconnected("reader too slow: --write-timeout");
  });
  net::async_write(stream_, net::buffer(out_.front()),
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     self->write_timer_.cancel();
                     if (ec || self->closed_) {
                       self->exchange_disconnected("write failed");
                       return;
                     }
                     self->out_bytes_ -= static_cast<int64_t>(self->out_.front().size());
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
  in_request_ = false;
  keep_alive_ = false;
  response_complete_ = false;
  HttpRequest dummy;
  current_ = std::make_shared<Exchange>(shared_from_this(), std::move(dummy), new_request_id());
  current_->stats().route = "invalid";
  current_->respond(status, error_body_for_status(static_cast<int>(status), message),
                    "application/json", {{"Connection", "close"}});
}

// Ends the connection. The current exchange, if unfinished, learns that its client is gone (its
// work is cancelled and it completes as 499); the session drops it either way, so nothing here
// keeps the exchange — or, through it, this session and its connection slot — alive.
void HttpSession::close() {
  if (closed_) return;
  closed_ = true;
  auto ex = std::move(current_);
  write_timer_.cancel();  // out_ stays: a pending write still refers to its front
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
  if (ex && !response_complete_) ex->notify_disconnect();
}

}  // namespace dsinfer::server
