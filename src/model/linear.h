// Shared building blocks of decoder layers: linear projections (matmul + optional bias), token
// embedding lookup, the SiLU-gated feed-forward network, and the output head.
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

// out[r] = row tokens[r] of the embedding table `table` (GGUF [n_embd, n_vocab]: row = token),
// converted to float. out: [n, table.n_in] stride ldo. Token ids must be valid (checked by the
// caller). Spread over `pool`.
void embed_tokens(const kernels::WeightView& table, const int32_t* tokens, int64_t n, float* out,
                  int64_t ldo, ThreadPool& pool);

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
                    int64_t ldo, FfnScratch& scratch, ThreadPool& pool);

// Output head: logits[i] = output( rms_norm(x[rows[i]]) * norm_weight ) for i < n_rows.
// x: hidden states [*, n_embd] stride ldx; logits: [n_rows, output.n_out] contiguous.
// `gathered` is scratch. One matmul call.
void output_head(const kernels::WeightView& output, const std::vector<float>& norm_weight,
                 float eps, const float* x, int64_t ldx, const std::vector<int64_t>& rows,
                 float* logits, std::vector<float>& gathered, ThreadPool& pool);

}  // namespace dsinfer::model
