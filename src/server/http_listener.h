// Accepts TCP connections and starts an HttpSession for each; refuses connections beyond
// --max-connections with 503; backs off when accept fails (EMFILE); stops accepting when closed
// (drain) and then closes the connections that sit idle between requests.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/http_session.h"

namespace dsinfer::server {

class HttpListener : public std::enable_shared_from_this<HttpListener> {
 public:
  // Binds host:port (port 0 = any free port). Throws Error(kUnavailable) when binding fails.
  HttpListener(boost::asio::io_context& ioc, const std::string& host, int port,
               const HttpLimits& limits, int64_t max_connections, RequestHandler handler,
               ExchangeObserver observer, std::function<bool()> closing);

  void start();
  // Stops accepting and closes idle connections; busy ones finish their current exchange and
  // then close. Thread-safe.
  void close();
  int port() const { return port_; }
  int64_t connections() const { return connections_->load(); }

 private:
  void accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  HttpLimits limits_;
  int64_t max_connections_;
  RequestHandler handler_;
  ExchangeObserver observer_;
  std::function<bool()> closing_;
  std::shared_ptr<std::atomic<int64_t>> connections_ = std::make_shared<std::atomic<int64_t>>(0);
  int port_ = 0;
  boost::asio::steady_timer backoff_;  // after a failed accept (acceptor's strand)
  std::chrono::milliseconds backoff_delay_{0};
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<HttpSession>> sessions_;  // for closing idle ones at drain
};

}  // namespace dsinfer::server
