// Softmax over a vector of scores (attention rows), computed as the reference does: max in float,
// exponentials in float, their sum in double, normalised by multiplying with 1/sum.
#pragma once

#include <cstdint>

#include "kernels/isa.h"

namespace dsinfer::kernels {

// x[i] <- exp(x[i] - max) / sum_j exp(x[j] - max), in place; n >= 1. Entries of -inf give 0.
void softmax_inplace(float* x, int64_t n, Isa isa);
inline void softmax_inplace(float* x, int64_t n) { softmax_inplace(x, n, selected_isa()); }

}  // namespace dsinfer::kernels
