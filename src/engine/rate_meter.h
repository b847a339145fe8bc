// Events per second over a sliding time window (recent tokens/s, request drain rate).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

#include "engine/request.h"

namespace dsinfer::engine {

// Not thread-safe (engine thread only).
class RateMeter {
 public:
  explicit RateMeter(std::chrono::milliseconds window);

  void add(Clock::time_point now, int64_t count);
  // Events per second over the last `window` (over the time since the first event when that is
  // shorter, but at least one second); 0 before any event.
  double rate(Clock::time_point now);

 private:
  void trim(Clock::time_point now);

  std::chrono::milliseconds window_;
  std::deque<std::pair<Clock::time_point, int64_t>> samples_;
  int64_t sum_ = 0;
  Clock::time_point first_{};
  bool any_ = false;
};

}  // namespace dsinfer::engine
