// AVX-512 (F/BW/VL/DQ) attention variant: the tiled kernel (kernels/attention_x86_tiled.inc) with
// 16-wide vectors and 32 registers, or 8-wide ones for tiles of at most 8 query rows (one decode
// token of a small KV group). Called only when CPUID reports AVX-512 (kernels/isa.h).
// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(), which its own
// -Wmaybe-uninitialized then reports at every inlined use (GCC bug 105593): silenced for this
// file only, as in matmul_avx512vnni.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include "kernels/attention_internal.h"
#include "kernels/vec_exp_avx2.h"
#include "tensor/fp16.h"

#define DSINFER_ATTN_X86_NS avx512_impl
#include "kernels/attention_x86_tiled.inc"

namespace dsinfer::kernels::attention_detail {

void attend_tile_avx512(const AttentionDims& d, const PagedKv& kv, const QueryTile& tile,
                        ScratchArena& scratch) {
  if (tile.n_tok * tile.n_heads <= avx512_impl::Ymm::kW) {
    avx512_impl::attend_tile<avx512_impl::Ymm>(d, kv, tile, scratch);
  } else {
    avx512_impl::attend_tile<avx512_impl::Zmm>(d, kv, tile, scratch);
  }
}

}  // namespace dsinfer::kernels::attention_detail
