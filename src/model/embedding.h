// Token embedding lookup: rows of the (possibly quantised) embedding table, as float.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/exec_context.h"
#include "kernels/matmul.h"

namespace dsinfer::model {

// out[r] = row tokens[r] of the embedding table `table` (GGUF [n_embd, n_vocab]: row = token),
// converted to float. out: [n, table.n_in] stride ldo. Token ids must be valid (checked by the
// caller). Spread over `ctx`'s threads.
void embed_tokens(const kernels::WeightView& table, const int32_t* tokens, int64_t n, float* out,
                  int64_t ldo, kernels::ExecContext& ctx);

}  // namespace dsinfer::model
