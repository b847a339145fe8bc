// The SiLU-gated feed-forward network of llama-family layers (also the dense and expert FFNs of
// deepseek2).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/exec_context.h"
#include "kernels/matmul.h"

namespace dsinfer::model {

struct FfnWeights {
  kernels::WeightView gate;  // [n_embd -> n_ff]
  kernels::WeightView up;    // [n_embd -> n_ff]
  kernels::WeightView down;  // [n_ff -> n_embd]
};

// Reusable buffers of ffn_silu_gated (grown on demand).
struct FfnScratch {
  std::vector<float> gate;
  std::vector<float> up;
};

// out[r] = down( silu(gate x[r]) * up x[r] ) for r < n_rows: three matmul calls.
// x: [n_rows, n_embd] stride ldx; out: [n_rows, n_embd] stride ldo (may not alias x).
void ffn_silu_gated(const FfnWeights& w, const float* x, int64_t ldx, int64_t n_rows, float* out,
                    int64_t ldo, FfnScratch& scratch, kernels::ExecContext& ctx);

}  // namespace dsinfer::model
