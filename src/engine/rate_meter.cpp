// Sliding-window rate measurement.
#include "engine/rate_meter.h"

#include <algorithm>

namespace dsinfer::engine {

RateMeter::RateMeter(std::chrono::milliseconds window) : window_(window) {}

void RateMeter::trim(Clock::time_point now) {
  while (!samples_.empty() && now - samples_.front().first > window_) {
    sum_ -= samples_.front().second;
    samples_.pop_front();
  }
}

void RateMeter::add(Clock::time_point now, int64_t count) {
  if (!any_) {
    first_ = now;
    any_ = true;
  }
  samples_.emplace_back(now, count);
  sum_ += count;
  trim(now);
}

double RateMeter::rate(Clock::time_point now) {
  if (!any_) return 0.0;
  trim(now);
  const auto span = std::clamp<Clock::duration>(now - first_, std::chrono::seconds(1), window_);
  return static_cast<double>(sum_) / std::chrono::duration<double>(span).count();
}

}  // namespace dsinfer::engine
