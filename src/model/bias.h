// Bias rows added after a projection (qwen2's Q/K/V biases).
#pragma once

#include <cstdint>
#include <vector>

namespace dsinfer::model {

// y[r] += bias for r < n_rows (y row stride ldy); nothing when bias is empty.
void add_bias_rows(const std::vector<float>& bias, float* y, int64_t ldy, int64_t n_rows);

}  // namespace dsinfer::model
