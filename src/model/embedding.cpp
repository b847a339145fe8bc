// Embedding lookup by dequantising table rows.
#include "model/embedding.h"

#include "tensor/quantize.h"

namespace dsinfer::model {

void embed_tokens(const kernels::WeightView& table, const int32_t* tokens, int64_t n, float* out,
                  int64_t ldo, kernels::ExecContext& ctx) {
  const size_t stride = table.row_stride != 0
                            ? table.row_stride
                            : tensor::row_bytes(tensor::dtype_info(table.type), table.n_in);
  ctx.parallel_for(n, 8, [&](int64_t begin, int64_t end, int /*thread*/) {
    for (int64_t i = begin; i < end; ++i) {
      const auto* src =
          static_cast<const uint8_t*>(table.data) + stride * static_cast<size_t>(tokens[i]);
      tensor::dequantize_row(table.type, src, out + i * ldo, table.n_in);
    }
  });
}

}  // namespace dsinfer::model
