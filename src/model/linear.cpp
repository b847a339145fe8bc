// Linear projection with optional bias.
#include "model/linear.h"

#include "kernels/activation.h"

namespace dsinfer::model {

void linear(const kernels::WeightView& w, const std::vector<float>& bias, const float* x,
            int64_t ldx, int64_t n_rows, float* y, int64_t ldy, ThreadPool& pool) {
  kernels::matmul(w, x, ldx, n_rows, y, ldy, pool);
  if (!bias.empty()) {
    for (int64_t r = 0; r < n_rows; ++r) kernels::add_inplace(y + r * ldy, bias.data(), w.n_out);
  }
}

}  // namespace dsinfer::model
