// One HTTP/1.1 connection: reads requests (keep-alive, pipelined requests answered in order,
// `Expect: 100-continue`, header/body timeouts, body limit), hands each to the router, writes
// the response (complete or streamed), and watches for the client going away meanwhile.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include "server/http_exchange.h"

namespace dsinfer::server {

struct HttpLimits {
  int64_t max_body_bytes = 1 << 20;
  double header_timeout_s = 10;
  double body_timeout_s = 30;
  double keepalive_timeout_s = 120;
};

// Decides what to do with a request (called on the connection's strand; must not block).
using RequestHandler = std::function<void(std::shared_ptr<Exchange>)>;
// Called on the strand when an exchange's response has been fully queued.
using ExchangeObserver = std::function<void(const Exchange&)>;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, const HttpLimits& limits, RequestHandler handler,
              ExchangeObserver observer, std::function<bool()> closing,
              std::function<void()> on_close);
  ~HttpSession();

  void start();
  // Strand-side operations used by Exchange.
  void enqueue(std::string bytes, bool last);
  void exchange_disconnected();
  boost::asio::any_io_executor executor();

 private:
  void wait_for_request();
  void read_header();
  void on_header(boost::beast::error_code ec);
  void read_body();
  void dispatch();
  void watch_disconnect();
  void write_next();
  void on_exchange_done();
  void reject(unsigned status, const std::string& message);
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  HttpLimits limits_;
  RequestHandler handler_;
  ExchangeObserver observer_;
  std::function<bool()> closing_;
  std::function<void()> on_close_;
  std::shared_ptr<Exchange> current_;
  std::deque<std::string> out_;
  bool writing_ = false;
  bool response_complete_ = false;
  bool keep_alive_ = true;
  bool watching_ = false;
  bool resume_after_watch_ = false;
  bool closed_ = false;
};

}  // namespace dsinfer::server
