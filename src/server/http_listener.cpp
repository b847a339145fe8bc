// TCP accept loop.
#include "server/http_listener.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "base/error.h"
#include "server/api_error.h"

namespace dsinfer::server {
namespace net = boost::asio;
using tcp = net::ip::tcp;

HttpListener::HttpListener(net::io_context& ioc, const std::string& host, int port,
                           const HttpLimits& limits, int64_t max_connections,
                           RequestHandler handler, ExchangeObserver observer,
                           std::function<bool()> closing)
    : ioc_(ioc),
      acceptor_(net::make_strand(ioc)),
      limits_(limits),
      max_connections_(max_connections),
      handler_(std::move(handler)),
      observer_(std::move(observer)),
      closing_(std::move(closing)) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) fail(ErrorKind::kInvalidInput, "--host: '{}' is not an IP address", host);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail(ErrorKind::kUnavailable, "cannot listen on {}:{}: {}", host, port, ec.message());
  port_ = acceptor_.local_endpoint().port();
}

void HttpListener::start() { accept(); }

void HttpListener::close() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
  });
}

void HttpListener::accept() {
  acceptor_.async_accept(
      net::make_strand(ioc_),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (!ec) {
          boost::system::error_code opt_ec;
          socket.set_option(tcp::no_delay(true), opt_ec);
          if (self->connections_->load() >= self->max_connections_) {
            // Over the limit: answer 503 and close, without reading the request.
            auto sock = std::make_shared<tcp::socket>(std::move(socket));
            auto body = std::make_shared<std::string>(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                "Connection: close\r\nRetry-After: 1\r\nContent-Length: ");
            const std::string json = error_body_for_status(503, "too many connections");
            *body += std::to_string(json.size()) + "\r\n\r\n" + json;
            net::async_write(*sock, net::buffer(*body), [sock, body](auto, auto) {
              boost::system::error_code e;
              sock->shutdown(tcp::socket::shutdown_both, e);
            });
          } else {
            self->connections_->fetch_add(1);
            auto counter = self->connections_;
            std::make_shared<HttpSession>(std::move(socket), self->limits_, self->handler_,
                                          self->observer_, self->closing_,
                                          [counter] { counter->fetch_sub(1); })
                ->start();
          }
        } else {
          spdlog::warn("accept failed: {}", ec.message());
        }
        self->accept();
      });
}

}  // namespace dsinfer::server
