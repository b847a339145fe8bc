// Stop-string matching with hold-back of possible partial matches.
#include "engine/stop_checker.h"

#include <algorithm>

namespace dsinfer::engine {

StopChecker::StopChecker(std::vector<std::string> stops) {
  for (auto& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

StopChecker::Result StopChecker::push(const std::string& text) {
  Result result;
  if (stops_.empty()) {
    result.emit = text;
    return result;
  }
  pending_ += text;
  // The earliest complete match wins.
  size_t first = std::string::npos;
  for (const auto& s : stops_) first = std::min(first, pending_.find(s));
  if (first != std::string::npos) {
    result.emit = pending_.substr(0, first);
    result.stopped = true;
    pending_.clear();
    return result;
  }
  // NOTE: keep the longest suffix of pending_ that is a proper prefix of some stop string; all
  // text before it can no longer be part of a match.
  size_t hold = 0;
  for (const auto& s : stops_) {
    const size_t max_len = std::min(s.size() - 1, pending_.size());
    for (size_t len = max_len; len > hold; --len) {
      if (pending_.compare(pending_.size() - len, len, s, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  result.emit = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return result;
}

std::string StopChecker::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace dsinfer::engine
