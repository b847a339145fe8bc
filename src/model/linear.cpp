// Linear projections, embedding lookup, SiLU-gated FFN and output head.
#include "model/linear.h"

#include <algorithm>
#include <cstring>

#include "kernels/activation.h"
#include "kernels/norm.h"
#include "tensor/quantize.h"

namespace dsinfer::model {

void linear(const kernels::WeightView& w, const std::vector<float>& bias, const float* x,
            int64_t ldx, int64_t n_rows, float* y, int64_t ldy, ThreadPool& pool) {
  kernels::matmul(w, x, ldx, n_rows, y, ldy, pool);
  if (!bias.empty()) {
    for (int64_t r = 0; r < n_rows; ++r) kernels::add_inplace(y + r * ldy, bias.data(), w.n_out);
  }
}

void embed_tokens(const kernels::WeightView& table, const int32_t* tokens, int64_t n, float* out,
                  int64_t ldo, ThreadPool& pool) {
  const size_t stride = table.row_stride != 0
                            ? table.row_stride
                            : tensor::row_bytes(tensor::dtype_info(table.type), table.n_in);
  pool.parallel_for(n, 8, [&](int64_t begin, int64_t end, int /*thread*/) {
    for (int64_t i = begin; i < end; ++i) {
      const auto* src =
          static_cast<const uint8_t*>(table.data) + stride * static_cast<size_t>(tokens[i]);
      tensor::dequantize_row(table.type, src, out + i * ldo, table.n_in);
    }
  });
}

void ffn_silu_gated(const FfnWeights& w, const float* x, int64_t ldx, int64_t n_rows, float* out,
                    int64_t ldo, FfnScratch& scratch, ThreadPool& pool) {
  const int64_t n_ff = w.gate.n_out;
  const auto need = static_cast<size_t>(n_rows * n_ff);
  if (scratch.gate.size() < need) scratch.gate.resize(need);
  if (scratch.up.size() < need) scratch.up.resize(need);
  kernels::matmul(w.gate, x, ldx, n_rows, scratch.gate.data(), n_ff, pool);
  kernels::matmul(w.up, x, ldx, n_rows, scratch.up.data(), n_ff, pool);
  pool.parallel_for(n_rows, 1, [&](int64_t begin, int64_t end, int /*thread*/) {
    for (int64_t r = begin; r < end; ++r) {
      kernels::silu_mul(scratch.gate.data() + r * n_ff, scratch.up.data() + r * n_ff,
                        scratch.gate.data() + r * n_ff, n_ff);
    }
  });
  kernels::matmul(w.down, scratch.gate.data(), n_ff, n_rows, out, ldo, pool);
}

void output_head(const kernels::WeightView& output, const std::vector<float>& norm_weight,
                 float eps, const float* x, int64_t ldx, const std::vector<int64_t>& rows,
                 float* logits, std::vector<float>& gathered, ThreadPool& pool) {
  const int64_t n_embd = output.n_in;
  const auto n_rows = static_cast<int64_t>(rows.size());
  gathered.resize(static_cast<size_t>(n_rows * n_embd));
  for (int64_t i = 0; i < n_rows; ++i) {
    kernels::rms_norm(x + rows[static_cast<size_t>(i)] * ldx, ldx, 1, n_embd, norm_weight.data(),
                      eps, gathered.data() + i * n_embd, n_embd);
  }
  kernels::matmul(output, gathered.data(), n_embd, n_rows, logits, output.n_out, pool);
}

}  // namespace dsinfer::model
