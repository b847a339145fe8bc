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
      arrived_(std::chrono::steady_clock::now()),
      last_output_(arrived_.time_since_epoch().count()) {}

void Exchange::post(std::string bytes, bool last) {
  last_output_ = std::chrono::steady_clock::now().time_since_epoch().count();
  auto session = session_;
  boost::asio::post(session->executor(),
                    [session, ex = shared_from_this(), bytes = std::move(bytes), last]() mutable {
                      session->enqueue(*ex, std::move(bytes), last);
                    });
}

void Exchange::complete_locked() {
  completed_ = true;
  // Drop the disconnect action: whatever it captured (route state, job handles) may hold this
  // exchange, and must not outlive the response.
  std::function<void()> action;
  {
    std::lock_guard lock(mu_);
    action = std::exchange(on_disconnect_, nullptr);
  }
}

void Exchange::respond(unsigned status, std::string body, const std::string& content_type,
                       const Headers& headers) {
  std::lock_guard lock(out_mu_);
  if (completed_ || head_sent_ || streaming_) return;
  status_ = status;
  std::string head = status_line(status);
  head += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\nX-Request-Id: {}\r\n",
                      content_type, body.size(), request_id_);
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  head += body;
  head_sent_ = true;
  complete_locked();
  post(std::move(head), true);
}

void Exchange::respond_error(unsigned status, const std::string& json_body,
                             const Headers& headers) {
  respond(status, json_body, "application/json", headers);
}

void Exchange::declare_stream(const Headers& headers) {
  std::lock_guard lock(out_mu_);
  if (completed_ || head_sent_ || streaming_) return;
  status_ = 200;
  streaming_ = true;
  stream_head_ = status_line(200);
  stream_head_ += fmt::format(
      "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\nX-Request-Id: {}\r\n",
      request_id_);
  for (const auto& [k, v] : headers) stream_head_ += k + ": " + v + "\r\n";
  stream_head_ += "\r\n";
}

bool Exchange::retract_stream() {
  std::lock_guard lock(out_mu_);
  if (head_sent_) return !streaming_;
  streaming_ = false;
  status_ = 0;
  stream_head_.clear();
  return true;
}

void Exchange::flush_stream_head() {
  if (head_sent_) return;
  head_sent_ = true;
  post(std::move(stream_head_), false);
  stream_head_.clear();
}

void Exchange::start_stream(const Headers& headers) {
  declare_stream(headers);
  std::lock_guard lock(out_mu_);
  if (!streaming_ || completed_) return;
  flush_stream_head();
}

void Exchange::send(std::string data) {
  std::lock_guard lock(out_mu_);
  if (!streaming_ || completed_ || data.empty()) return;
  flush_stream_head();
  post(fmt::format("{:x}\r\n{}\r\n", data.size(), data), false);
}

void Exchange::finish_stream() {
  std::lock_guard lock(out_mu_);
  if (!streaming_ || completed_) return;
  flush_stream_head();
  complete_locked();
  post("0\r\n\r\n", true);
}

void Exchange::abandon() {
  std::lock_guard lock(out_mu_);
  if (completed_) return;
  status_ = kClientClosedStatus;
  head_sent_ = true;
  stream_head_.clear();
  complete_locked();
  post("", true);  // no bytes: the session is closed; completes the exchange there
}

void Exchange::set_on_disconnect(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (!disconnected_ && !completed_) {
      on_disconnect_ = std::move(fn);
      return;
    }
  }
  if (disconnected_ && fn) fn();
}

void Exchange::notify_disconnect() {
  if (disconnected_.exchange(true)) return;
  std::function<void()> action;
  {
    std::lock_guard lock(mu_);
    action = std::exchange(on_disconnect_, nullptr);
  }
  if (action) action();
  abandon();
}

}  // namespace dsinfer::server
