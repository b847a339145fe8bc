// Durations of the engine's steps (one forward pass plus sampling), bucketed on the engine thread
// and published with EngineStats, so that an operator sees where a step's time goes without a
// profiler: the server exports them as the histogram inference_step_seconds.
#pragma once

#include <array>
#include <cstdint>

namespace dsinfer::engine {

struct StepTimes {
  // Upper bounds (seconds, inclusive) of the buckets: 1 ms (a small model's decode step) to 10 s
  // (a long prefill chunk on a slow CPU).
  static constexpr std::array<double, 16> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.02, 0.03,
                                                     0.05,  0.075,  0.1,   0.15, 0.25, 0.5,
                                                     1.0,   2.5,    5.0,   10.0};
  // counts[i]: steps that took at most kBounds[i] and more than kBounds[i - 1]; the last one:
  // more than every bound. Not cumulative.
  std::array<int64_t, kBounds.size() + 1> counts{};
  double sum_seconds = 0;

  void add(double seconds);
  int64_t total() const;
};

}  // namespace dsinfer::engine
