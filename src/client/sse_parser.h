// Incremental parser of a text/event-stream body (Server-Sent Events, WHATWG HTML §9.2):
// bytes in any split, events out. Owns only the partial line and the event being built.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace dsinfer::client {

// One dispatched event: `data` is the data lines joined by '\n' (without the final one).
struct SseEvent {
  std::string event;  // the `event:` field, empty for the default "message"
  std::string data;
};

class SseParser {
 public:
  using Sink = std::function<void(const SseEvent&)>;

  // `sink` receives each event when its terminating blank line arrives. Comments (lines that
  // start with ':'), `id:` and `retry:` lines are consumed and not reported.
  explicit SseParser(Sink sink) : sink_(std::move(sink)) {}

  // Feeds the next bytes of the body; lines may end in "\n", "\r\n" or "\r", split anywhere.
  // Not thread-safe; the sink runs synchronously inside feed().
  void feed(std::string_view bytes);

  // The body ended: an event without its blank line is discarded, per the spec.
  // Returns true when such an incomplete event was pending (the caller may report it).
  bool finish();

  // Number of comment lines seen (servers send them as keep-alives).
  std::size_t comments() const { return comments_; }

 private:
  void process_line(std::string_view line);

  Sink sink_;
  std::string line_;
  bool last_was_cr_ = false;
  bool has_data_ = false;
  SseEvent pending_;
  std::size_t comments_ = 0;
};

}  // namespace dsinfer::client
