// Open-loop arrivals: a Poisson process of a given rate (exponential gaps), deterministic for
// a seed and identical on every platform.
#pragma once

#include <cstdint>
#include <random>

namespace dsinfer::client {

class PoissonArrivals {
 public:
  // `rate_per_s` > 0 (throws Error(kInvalidInput) otherwise).
  PoissonArrivals(double rate_per_s, std::uint64_t seed);

  // Seconds from the previous arrival to the next one: -ln(1 - U) / rate, U uniform in [0, 1).
  double next_gap_s();

 private:
  double rate_;
  std::mt19937_64 rng_;
};

}  // namespace dsinfer::client
