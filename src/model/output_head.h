// The output head: final RMSNorm of the rows that need logits, then the vocabulary projection.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/exec_context.h"
#include "kernels/matmul.h"

namespace dsinfer::model {

// Output head: logits[i] = output( rms_norm(x[rows[i]]) * norm_weight ) for i < n_rows.
// x: hidden states [*, n_embd] stride ldx; logits: [n_rows, output.n_out] contiguous.
// `gathered` is scratch. One matmul call.
void output_head(const kernels::WeightView& output, const std::vector<float>& norm_weight,
                 float eps, const float* x, int64_t ldx, const std::vector<int64_t>& rows,
                 float* logits, std::vector<float>& gathered, kernels::ExecContext& ctx);

}  // namespace dsinfer::model
