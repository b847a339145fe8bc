// AVX2 attention variant: the tiled kernel (kernels/attention_x86_tiled.inc) with 8-wide vectors
// and 16 registers. Called only when CPUID reports AVX2, FMA and F16C (kernels/isa.h).
#include <immintrin.h>

#include "kernels/attention_internal.h"
#include "kernels/vec_exp_avx2.h"
#include "tensor/fp16.h"

#define DSINFER_ATTN_X86_NS avx2_impl
#include "kernels/attention_x86_tiled.inc"

namespace dsinfer::kernels::attention_detail {

void attend_tile_avx2(const AttentionDims& d, const PagedKv& kv, const QueryTile& tile,
                      ScratchArena& scratch) {
  avx2_impl::attend_tile<avx2_impl::Ymm>(d, kv, tile, scratch);
}

}  // namespace dsinfer::kernels::attention_detail
