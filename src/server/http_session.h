// One HTTP/1.1 connection: reads requests (keep-alive, pipelined requests answered in order,
// `Expect: 100-continue`, header/body timeouts, one byte limit over a body's whole encoding),
// hands each to the router, writes the response (complete or streamed) under an output bound and
// a write timeout, and watches for the client going away meanwhile.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include "server/http_exchange.h"

namespace dsinfer::server {

struct HttpLimits {
  // Bytes of a request after its head: the body as sent (chunk sizes, extensions and trailers
  // included). Bytes buffered ahead of the request being answered (pipelining) are bounded by
  // kHeaderLimit + max_body_bytes.
  int64_t max_body_bytes = 1 << 20;
  double header_timeout_s = 10;
  double body_timeout_s = 30;
  double keepalive_timeout_s = 120;
  // A reader that lets more than this many response bytes queue up behind the write in progress,
  // or leaves one write pending longer than write_timeout_s, is disconnected (its request is
  // cancelled).
  int64_t max_output_bytes = 4 << 20;
  double write_timeout_s = 30;
  // SO_SNDBUF of accepted sockets (0 = the kernel's autotuning): bounds what a stalled reader
  // holds in kernel memory, and how soon it is noticed.
  int64_t socket_send_buffer = 0;
};

// Largest request head (request line + header fields) accepted; over it → 431.
inline constexpr int64_t kHeaderLimit = 16 * 1024;

// Decides what to do with a request (called on the connection's strand; must not block).
using RequestHandler = std::function<void(std::shared_ptr<Exchange>)>;
// Called on the strand exactly once per exchange, when its response has been fully queued or it
// was abandoned (client gone).
using ExchangeObserver = std::function<void(const Exchange&)>;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, const HttpLimits& limits, RequestHandler handler,
              ExchangeObserver observer, std::function<bool()> closing,
              std::function<void()> on_close);
  ~HttpSession();

  void start();
  // Strand-side operation used by Exchange: queues `bytes` of `ex`'s response (dropped when `ex`
  // is not the current exchange or the connection is closed); `last` ends the response.
  void enqueue(Exchange& ex, std::string bytes, bool last);
  // Closes the connection if it is between requests (drain). Thread-safe.
  void close_if_idle();
  boost::asio::any_io_executor executor();

 private:
  void wait_for_request();
  void read_header();
  void on_header(boost::beast::error_code ec);
  void read_body();
  void on_body(boost::beast::error_code ec, size_t n);
  void dispatch();
  void exchange_disconnected(const char* why);
  void watch_disconnect();
  void write_next();
  void on_exchange_done();
  void reject(unsigned status, const std::string& message);
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;  // max_size bounds what a client may buffer ahead
  boost::asio::steady_timer write_timer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  HttpLimits limits_;
  RequestHandler handler_;
  ExchangeObserver observer_;
  std::function<bool()> closing_;
  std::function<void()> on_close_;
  std::shared_ptr<Exchange> current_;
  std::deque<std::string> out_;
  int64_t out_bytes_ = 0;   // queued and not yet written
  int64_t body_bytes_ = 0;  // of the request being read, as sent
  bool writing_ = false;
  bool peer_eof_ = false;    // the client half-closed (shut down its sending side)
  bool in_request_ = false;  // a request's head or body is being read
  bool response_complete_ = false;
  bool keep_alive_ = true;
  bool watching_ = false;
  bool resume_after_watch_ = false;
  bool closed_ = false;
};

}  // namespace dsinfer::server
