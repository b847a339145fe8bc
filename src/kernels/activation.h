// Element-wise pieces of the transformer block: the SiLU-gated FFN activation and residual adds.
#pragma once

#include <cstdint>

#include "kernels/isa.h"

namespace dsinfer::kernels {

// out[i] = silu(gate[i]) * up[i], silu(x) = x / (1 + exp(-x)); out may alias gate or up.
void silu_mul(const float* gate, const float* up, float* out, int64_t n, Isa isa);
inline void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  silu_mul(gate, up, out, n, selected_isa());
}

// y[i] += x[i] (residual connection).
void add_inplace(float* y, const float* x, int64_t n, Isa isa);
inline void add_inplace(float* y, const float* x, int64_t n) {
  add_inplace(y, x, n, selected_isa());
}

}  // namespace dsinfer::kernels
