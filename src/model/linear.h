// Linear projection of a batch of rows: one matmul call (each weight read once) plus an
// optional bias.
#pragma once

#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/matmul.h"

namespace dsinfer::model {

// y[r] = W x[r] (+ bias) for r < n_rows. x: [n_rows, w.n_in] stride ldx; y: [n_rows, w.n_out]
// stride ldy; bias: empty or w.n_out floats. One matmul call (each weight read once).
void linear(const kernels::WeightView& w, const std::vector<float>& bias, const float* x,
            int64_t ldx, int64_t n_rows, float* y, int64_t ldy, ThreadPool& pool);

}  // namespace dsinfer::model
