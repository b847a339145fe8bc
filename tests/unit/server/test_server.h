// A loopback HTTP listener for server unit tests: one I/O thread, every exchange answered by a
// route function, the statuses of completed exchanges recorded.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "server/http_listener.h"

namespace dsinfer::server::test {

// A listener on 127.0.0.1 served by one I/O thread; `route` answers each exchange.
class TestServer {
 public:
  explicit TestServer(std::function<void(std::shared_ptr<Exchange>)> route, HttpLimits limits = {},
                      int64_t max_connections = 4)
      : route_(std::move(route)) {
    listener_ = std::make_shared<HttpListener>(
        ioc_, "127.0.0.1", 0, limits, max_connections,
        [this](std::shared_ptr<Exchange> ex) { route_(std::move(ex)); },
        [this](const Exchange& ex) {
          std::lock_guard lock(mu_);
          statuses_.push_back(ex.status());
          cv_.notify_all();
        },
        [] { return false; });
    listener_->start();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestServer() {
    ioc_.stop();
    thread_.join();
  }

  int port() const { return listener_->port(); }
  int64_t connections() const { return listener_->connections(); }
  std::vector<unsigned> wait_statuses(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return statuses_.size() >= n; });
    return statuses_;
  }

  // Sends `bytes`, half-closes nothing, reads until the server closes (or `timeout`).
  std::string exchange_bytes(const std::string& bytes, bool close_after_send = false) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                             static_cast<uint16_t>(port())));
    boost::asio::write(s, boost::asio::buffer(bytes));
    if (close_after_send) return "";
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
      const size_t n = s.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

  bool wait_connections(int64_t n) {
    for (int i = 0; i < 500 && connections() != n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return connections() == n;
  }

 private:
  std::function<void(std::shared_ptr<Exchange>)> route_;
  boost::asio::io_context ioc_;
  std::shared_ptr<HttpListener> listener_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<unsigned> statuses_;
};

}  // namespace dsinfer::server::test
