// Tail-periodicity check for runaway generation.
#include "translate/repetition_guard.h"

#include <algorithm>
#include <string_view>

namespace dsinfer::translate {

bool RepetitionGuard::push(const std::string& delta) {
  tail_ += delta;
  const size_t keep = max_period_ * (min_repeats_ + 1);
  if (tail_.size() > keep) tail_.erase(0, tail_.size() - keep);
  const std::string_view t(tail_);
  for (size_t p = 1; p <= max_period_; ++p) {
    const size_t span = p * min_repeats_;
    if (span > t.size() || span < min_bytes_) continue;
    const std::string_view unit = t.substr(t.size() - p);
    bool repeating = true;
    for (size_t k = 2; k <= min_repeats_ && repeating; ++k) {
      repeating = t.substr(t.size() - k * p, p) == unit;
    }
    if (repeating) return true;
  }
  return false;
}

}  // namespace dsinfer::translate
