// Detects runaway repetition in generated text (a loop the model will not leave), so the
// caller can stop the request early.
#pragma once

#include <cstddef>
#include <string>

namespace dsinfer::translate {

// NOTE: the output "loops" when its tail is one unit of 1..max_period bytes repeated
// `min_repeats` times back to back (e.g. "the the the the ..." or "。。。。"), and the repeated
// region is at least `min_bytes` long. Checked on each delta; O(max_period * min_repeats) per call.
class RepetitionGuard {
 public:
  RepetitionGuard(size_t max_period = 64, size_t min_repeats = 6, size_t min_bytes = 24)
      : max_period_(max_period), min_repeats_(min_repeats), min_bytes_(min_bytes) {}

  // Appends generated text; returns true once the output is looping.
  bool push(const std::string& delta);

 private:
  size_t max_period_;
  size_t min_repeats_;
  size_t min_bytes_;
  std::string tail_;
};

}  // namespace dsinfer::translate
