// Poisson arrival gaps by inversion of the exponential CDF.
#include "client/arrival_schedule.h"

#include <cmath>

#include "base/error.h"
#include "client/workload.h"

namespace dsinfer::client {

PoissonArrivals::PoissonArrivals(double rate_per_s, std::uint64_t seed)
    : rate_(rate_per_s), rng_(seed) {
  if (!(rate_per_s > 0.0) || !std::isfinite(rate_per_s)) {
    fail(ErrorKind::kInvalidInput, "arrival rate {} must be a positive number of requests/s",
         rate_per_s);
  }
}

double PoissonArrivals::next_gap_s() { return -std::log1p(-uniform01(rng_)) / rate_; }

}  // namespace dsinfer::client
