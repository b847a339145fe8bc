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
      closing_(std::move(closing)),
      backoff_(acceptor_.get_executor()) {
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
    self->backoff_.cancel();
    std::lock_guard lock(self->sessions_mu_);
    for (const auto& w : self->sessions_) {
      if (auto s = w.lock()) s->close_if_idle();
    }
  });
}

void HttpListener::accept() {
  acceptor_.async_accept(
      net::make_strand(ioc_),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
      });
}

void HttpListener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // NOTE: accept fails while the process is out of descriptors (EMFILE/ENFILE) or memory; the
    // pending connection stays queued, so retrying at once would spin. Back off 10 ms .. 1 s.
    backoff_delay_ = std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(1000),
        std::max<std::chrono::milliseconds>(std::chrono::milliseconds(10), backoff_delay_ * 2));
    spdlog::warn(R"({{"event":"accept_failed","error":"{}","retry_ms":{}}})", ec.message(),
                 backoff_delay_.count());
    backoff_.expires_after(backoff_delay_);
    backoff_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
      if (!wait_ec) self->accept();
    });
    return;
  }
  backoff_delay_ = std::chrono::milliseconds(0);
  boost::system::error_code opt_ec;
  socket.set_option(tcp::no_delay(true), opt_ec);
  if (limits_.socket_send_buffer > 0) {
    socket.set_option(
        net::socket_base::send_buffer_size(static_cast<int>(limits_.socket_send_buffer)), opt_ec);
  }
  if (connections_->load() >= max_connections_) {
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
    connections_->fetch_add(1);
    auto counter = connections_;
    auto session = std::make_shared<HttpSession>(std::move(socket), limits_, handler_, observer_,
                                                 closing_, [counter] { counter->fetch_sub(1); });
    {
      std::lock_guard lock(sessions_mu_);
      std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
      sessions_.push_back(session);
    }
    session->start();
  }
  accept();
}

}  // namespace dsinfer::server
