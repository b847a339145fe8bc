// "</think>" detection across delta boundaries.
#include "server/reasoning_splitter.h"

#include <string_view>

namespace dsinfer::server {
namespace {
constexpr std::string_view kClose = "</think>";
}

ReasoningSplitter::Parts ReasoningSplitter::push(const std::string& delta) {
  Parts out;
  std::string text = held_ + delta;
  held_.clear();
  if (in_reasoning_) {
    const auto pos = text.find(kClose);
    if (pos != std::string::npos) {
      out.reasoning = text.substr(0, pos);
      in_reasoning_ = false;
      text = text.substr(pos + kClose.size());
    } else {
      // Hold back the longest suffix that is a prefix of "</think>".
      size_t keep = 0;
      for (size_t k = std::min(text.size(), kClose.size() - 1); k > 0; --k) {
        if (std::string_view(text).substr(text.size() - k) == kClose.substr(0, k)) {
          keep = k;
          break;
        }
      }
      out.reasoning = text.substr(0, text.size() - keep);
      held_ = text.substr(text.size() - keep);
      return out;
    }
  }
  if (at_start_) {
    const auto b = text.find_first_not_of("\r\n");
    if (b == std::string::npos) return out;
    text = text.substr(b);
    at_start_ = false;
  }
  out.content = text;
  return out;
}

ReasoningSplitter::Parts ReasoningSplitter::flush() {
  Parts out;
  if (in_reasoning_) {
    out.reasoning = held_;
  } else {
    out.content = held_;
  }
  held_.clear();
  return out;
}

}  // namespace dsinfer::server
