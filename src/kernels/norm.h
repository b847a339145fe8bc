// RMSNorm over rows of activations (the pre-attention, pre-FFN and final norms of llama-family
// models), computed as the reference does: mean of squares summed in double, scale in float.
#pragma once

#include <cstdint>

#include "kernels/isa.h"

namespace dsinfer::kernels {

// For each of n_rows rows: y = x / sqrt(mean(x^2) + eps) * weight (weight may be null: no scale).
// x: [n_rows, n] row stride ldx; y: [n_rows, n] row stride ldy (y may equal x). Single-threaded:
// the cost is negligible next to the matmuls around it.
void rms_norm(const float* x, int64_t ldx, int64_t n_rows, int64_t n, const float* weight,
              float eps, float* y, int64_t ldy, Isa isa);
inline void rms_norm(const float* x, int64_t ldx, int64_t n_rows, int64_t n, const float* weight,
                     float eps, float* y, int64_t ldy) {
  rms_norm(x, ldx, n_rows, n, weight, eps, y, ldy, selected_isa());
}

}  // namespace dsinfer::kernels
