// Output head: RMSNorm of the selected rows and the vocabulary matmul.
#include "model/output_head.h"

#include "kernels/norm.h"

namespace dsinfer::model {

void output_head(const kernels::WeightView& output, const std::vector<float>& norm_weight,
                 float eps, const float* x, int64_t ldx, const std::vector<int64_t>& rows,
                 float* logits, std::vector<float>& gathered, kernels::ExecContext& ctx) {
  const int64_t n_embd = output.n_in;
  const auto n_rows = static_cast<int64_t>(rows.size());
  gathered.resize(static_cast<size_t>(n_rows * n_embd));
  for (int64_t i = 0; i < n_rows; ++i) {
    kernels::rms_norm(x + rows[static_cast<size_t>(i)] * ldx, ldx, 1, n_embd, norm_weight.data(),
                      eps, gathered.data() + i * n_embd, n_embd);
  }
  kernels::matmul(output, gathered.data(), n_embd, n_rows, logits, output.n_out, ctx);
}

}  // namespace dsinfer::model
