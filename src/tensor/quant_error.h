// How far a quantised row may lie from the floats it encodes: the measure (error relative to
// each block's largest |x|) and the per-type bounds dsinfer's tests and tools hold formats to.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace dsinfer::tensor {

// Error of `got` against `ref` over n floats, measured in blocks of `block` elements (the last
// block may be shorter). Each error is taken relative to its block's largest |ref|:
//   max_rel = max over elements of |got - ref| / amax(block)
//   rms_rel = sqrt(sum (got - ref)^2 / sum over elements of amax(block)^2)
// Blocks whose amax is 0 count only through absolute error (max_rel uses 1 as their scale).
struct QuantError {
  double max_rel = 0;
  double rms_rel = 0;
  int64_t n = 0;
};
QuantError measure_quant_error(const float* ref, const float* got, int64_t n, int64_t block);

// Accumulates QuantError over many rows (a whole tensor).
class QuantErrorAccumulator {
 public:
  void add(const float* ref, const float* got, int64_t n, int64_t block);
  QuantError result() const;

 private:
  double max_rel_ = 0;
  double sum_err2_ = 0;
  double sum_scale2_ = 0;
  int64_t n_ = 0;
};

// Bounds one quantise -> dequantise round trip of `type` stays within, for any finite input,
// measured with measure_quant_error over blocks of error_block(type) elements. F32 is exact.
// Caveat of the formats themselves: block scales are fp16, so blocks so small that a scale is an
// fp16 subnormal (amax below ~1e-2 for Q6_K, ~3e-3 for Q8_0) carry an extra absolute error of up
// to 2^-25 per unit of the quantised value, which the relative bound does not cover.
// The bound is the type's row in tensor/dtype.cpp. Throws Error(kUnsupported) for types dsinfer
// cannot quantise.
QuantErrorBound quant_error_bound(DType type);
// The block the bound is measured over: 32 for plain and legacy types, 256 for K types.
int64_t error_block(DType type);

}  // namespace dsinfer::tensor
