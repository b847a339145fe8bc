// SiLU-gated FFN: gate and up projections, silu(gate) * up, down projection.
#include "model/ffn.h"

#include "kernels/activation.h"

namespace dsinfer::model {

void ffn_silu_gated(const FfnWeights& w, const float* x, int64_t ldx, int64_t n_rows, float* out,
                    int64_t ldo, FfnScratch& scratch, kernels::ExecContext& ctx) {
  const int64_t n_ff = w.gate.n_out;
  const auto need = static_cast<size_t>(n_rows * n_ff);
  if (scratch.gate.size() < need) scratch.gate.resize(need);
  if (scratch.up.size() < need) scratch.up.resize(need);
  const kernels::MatmulTarget gate_up[] = {{w.gate, scratch.gate.data(), n_ff},
                                           {w.up, scratch.up.data(), n_ff}};
  kernels::matmul_multi(gate_up, x, ldx, n_rows, ctx);
  ctx.parallel_for(n_rows, 1, [&](int64_t begin, int64_t end, int /*thread*/) {
    for (int64_t r = begin; r < end; ++r) {
      kernels::silu_mul(scratch.gate.data() + r * n_ff, scratch.up.data() + r * n_ff,
                        scratch.gate.data() + r * n_ff, n_ff);
    }
  });
  kernels::matmul(w.down, scratch.gate.data(), n_ff, n_rows, out, ldo, ctx);
}

}  // namespace dsinfer::model
