// Server-Sent Events parsing (line splitting, field handling, dispatch on blank lines).
#include "client/sse_parser.h"

namespace dsinfer::client {

void SseParser::feed(std::string_view bytes) {
  for (const char c : bytes) {
    if (c == '\n' && last_was_cr_) {  // the "\n" of a "\r\n" already handled at '\r'
      last_was_cr_ = false;
      continue;
    }
    last_was_cr_ = (c == '\r');
    if (c == '\n' || c == '\r') {
      process_line(line_);
      line_.clear();
    } else {
      line_.push_back(c);
    }
  }
}

bool SseParser::finish() {
  const bool incomplete = has_data_ || !line_.empty();
  line_.clear();
  pending_ = SseEvent{};
  has_data_ = false;
  return incomplete;
}

void SseParser::process_line(std::string_view line) {
  if (line.empty()) {  // dispatch
    if (has_data_) sink_(pending_);
    pending_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') {
    ++comments_;
    return;
  }
  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
  }
  // `id`, `retry` and unknown fields are ignored.
}

}  // namespace dsinfer::client
