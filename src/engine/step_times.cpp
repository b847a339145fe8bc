#include "engine/step_times.h"

#include <algorithm>
#include <numeric>

namespace dsinfer::engine {

void StepTimes::add(double seconds) {
  const auto bucket = std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin();
  ++counts[static_cast<size_t>(bucket)];
  sum_seconds += seconds;
}

int64_t StepTimes::total() const {
  return std::accumulate(counts.begin(), counts.end(), int64_t{0});
}

}  // namespace dsinfer::engine
