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
  // NOTE: derivations (d = block step, amax = block max |x|; fp16 scales add <= 2^-11 relative):
  //   Q8_0: step amax/127, error <= step/2 = 0.0039 amax.   Q8_K: same, float scale.
  //   Q4_0: step amax/8, the side opposite the signed max clamps at +7: error <= step = 0.125.
  //   Q5_0: step amax/16, same clamp: 0.0625.   Q4_1 / Q5_1: step range/15 (/31), error step/2.
  //   K types: sub-block scales are themselves quantised (6 bits, Q6_K 8 bits) against the
  //   super-block maximum, and the scale search may clip outliers, so bounds are wider than
  //   step/2; set from the analysis plus margin and checked on adversarial random data and on
  //   the reference's own files (tests/golden/tensor_siblings_test.cpp).
  switch (type) {
    case DType::kF32:
      return {0, 0};
    case DType::kF16:
      return {1.0 / 2048, 1.0 / 4096};
    case DType::kBF16:
      return {1.0 / 256, 1.0 / 512};
    case DType::kQ8_0:
      return {0.0045, 0.0025};
    case DType::kQ8_K:
      return {0.0045, 0.0025};
    case DType::kQ4_0:
      return {0.130, 0.050};
    case DType::kQ4_1:
      return {0.075, 0.040};
    case DType::kQ5_0:
      return {0.066, 0.025};
    case DType::kQ5_1:
      return {0.036, 0.020};
    case DType::kQ2_K:
      return {0.50, 0.20};
    case DType::kQ3_K:
      return {0.30, 0.10};
    case DType::kQ4_K:
      return {0.15, 0.050};
    case DType::kQ5_K:
      return {0.075, 0.025};
    case DType::kQ6_K:
      return {0.035, 0.012};
    default:
      break;
  }
  require_quantizable(type);
  fail(ErrorKind::kUnsupported, "no error bound for tensor type {}", dtype_name(type));
}

}  // namespace dsinfer::tensor
