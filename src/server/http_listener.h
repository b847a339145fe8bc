// Accepts TCP connections and starts an HttpSession for each; refuses connections beyond
// --max-connections with 503; stops accepting when closed (drain).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server/http_session.h"

namespace dsinfer::server {

class HttpListener : public std::enable_shared_from_this<HttpListener> {
 public:
  // Binds host:port (port 0 = any free port). Throws Error(kUnavailable) when binding fails.
  HttpListener(boost::asio::io_context& ioc, const std::string& host, int port,
               const HttpLimits& limits, int64_t max_connections, RequestHandler handler,
               ExchangeObserver observer, std::function<bool()> closing);

  void start();
  // Stops accepting; open connections finish their current exchange. Thread-safe.
  void close();
  int port() const { return port_; }
  int64_t connections() const { return connections_->load(); }

 private:
  void accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  HttpLimits limits_;
  int64_t max_connections_;
  RequestHandler handler_;
  ExchangeObserver observer_;
  std::function<bool()> closing_;
  std::shared_ptr<std::atomic<int64_t>> connections_ = std::make_shared<std::atomic<int64_t>>(0);
  int port_ = 0;
};

}  // namespace dsinfer::server
