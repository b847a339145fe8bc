// Exchange: formats responses as HTTP/1.1 bytes and posts them to the session's strand.
#include "server/http_exchange.h"

#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <boost/beast/http/status.hpp>

#include "server/http_session.h"

namespace dsinfer::server {
namespace {

std::string status_line(unsigned status) {
  const auto reason =
      boost::beast::http::obsolete_reason(boost::beast::http::int_to_status(status));
  return fmt::format("HTTP/1.1 {} {}\r\n", status, std::string_view(reason.data(), reason.size()));
}

}  // namespace

Exchange::Exchange(std::shared_ptr<HttpSession> session, HttpRequest request,
                   std::string request_id)
    : session_(std::move(session)),
      request_(std::move(request)),
      request_id_(std::move(request_id)),
      arrived_(std::chrono::steady_clock::now()) {}

void Exchange::post(std::string bytes, bool last) {
  auto session = session_;
  boost::asio::post(session->executor(), [session, bytes = std::move(bytes), last]() mutable {
    session->enqueue(std::move(bytes), last);
  });
}

void Exchange::respond(unsigned status, std::string body, const std::string& content_type,
                       const Headers& headers) {
  if (started_.exchange(true)) return;
  status_ = status;
  std::string head = status_line(status);
  head += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\nX-Request-Id: {}\r\n",
                      content_type, body.size(), request_id_);
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  head += body;
  completed_ = true;
  post(std::move(head), true);
}

void Exchange::respond_error(unsigned status, const std::string& json_body,
                             const Headers& headers) {
  respond(status, json_body, "application/json", headers);
}

void Exchange::start_stream(const Headers& headers) {
  if (started_.exchange(true)) return;
  status_ = 200;
  streaming_ = true;
  std::string head = status_line(200);
  head += fmt::format(
      "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\nX-Request-Id: {}\r\n",
      request_id_);
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  post(std::move(head), false);
}

void Exchange::send(std::string data) {
  if (!streaming_ || completed_ || data.empty()) return;
  post(fmt::format("{:x}\r\n{}\r\n", data.size(), data), false);
}

void Exchange::finish_stream() {
  if (!streaming_ || completed_.exchange(true)) return;
  post("0\r\n\r\n", true);
}

void Exchange::set_on_disconnect(std::function<void()> fn) {
  bool call_now = false;
  {
    std::lock_guard lock(mu_);
    if (disconnected_) {
      call_now = true;
    } else {
      on_disconnect_ = std::move(fn);
    }
  }
  if (call_now && fn) fn();
}

void Exchange::notify_disconnect() {
  if (disconnected_.exchange(true)) return;
  if (auto fn = take_on_disconnect()) fn();
}

std::function<void()> Exchange::take_on_disconnect() {
  std::lock_guard lock(mu_);
  return std::exchange(on_disconnect_, nullptr);
}

}  // namespace dsinfer::server
