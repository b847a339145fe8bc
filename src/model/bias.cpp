// Bias rows.
#include "model/bias.h"

#include "kernels/activation.h"

namespace dsinfer::model {

void add_bias_rows(const std::vector<float>& bias, float* y, int64_t ldy, int64_t n_rows) {
  if (bias.empty()) return;
  for (int64_t r = 0; r < n_rows; ++r) {
    kernels::add_inplace(y + r * ldy, bias.data(), static_cast<int64_t>(bias.size()));
  }
}

}  // namespace dsinfer::model
