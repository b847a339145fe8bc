// Quantisation error measure and the per-type bounds (see quant_error.h).
#include "tensor/quant_error.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "tensor/quant_blocks.h"
#include "tensor/quantize.h"

namespace dsinfer::tensor {

void QuantErrorAccumulator::add(const float* ref, const float* got, int64_t n, int64_t block) {
  if (block <= 0) fail(ErrorKind::kInvalidInput, "measure_quant_error: block {} <= 0", block);
  for (int64_t start = 0; start < n; start += block) {
    const int64_t end = std::min(n, start + block);
    double amax = 0;
    for (int64_t i = start; i < end; ++i) amax = std::max(amax, std::fabs(double{ref[i]}));
    const double scale = amax > 0 ? amax : 1.0;
    for (int64_t i = start; i < end; ++i) {
      const double err = std::fabs(double{got[i]} - double{ref[i]});
      // A NaN error must fail any bound: keep it visible in max_rel.
      if (std::isnan(err)) {
        max_rel_ = err;
      } else {
        max_rel_ = std::max(max_rel_, err / scale);
      }
      sum_err2_ += err * err;
      sum_scale2_ += scale * scale;
    }
    n_ += end - start;
  }
}

QuantError QuantErrorAccumulator::result() const {
  QuantError e;
  e.max_rel = max_rel_;
  e.rms_rel = sum_scale2_ > 0 ? std::sqrt(sum_err2_ / sum_scale2_) : 0;
  e.n = n_;
  return e;
}

QuantError measure_quant_error(const float* ref, const float* got, int64_t n, int64_t block) {
  QuantErrorAccumulator acc;
  acc.add(ref, got, n, block);
  return acc.result();
}

int64_t error_block(DType type) { return dtype_info(type).block_size == kQKK ? kQKK : kQK; }

QuantErrorBound quant_error_bound(DType type) {
  require_quantizable(type);
  return dtype_info(type).error;
}

}  // namespace dsinfer::tensor
