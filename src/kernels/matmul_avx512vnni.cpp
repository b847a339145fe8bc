// AVX-512 VNNI matmul variant: the x86 kernels with the packed Q4_K, Q5_K, Q6_K, Q8_0, Q5_0
// and Q4_0 kernels on 512-bit vpdpbusd, two packed steps per vector (matmul_x86_vnni.inc); the
// other kernels are the AVX2 ones with EVEX encodings, except BF16 weights: vdpbf16ps where the
// CPU also has AVX512_BF16 (matmul_x86_bf16.inc; only those functions are compiled for it).
// Compiled with AVX-512 F/BW/VL/DQ/VNNI flags; called only when CPUID reports them
// (kernels/isa.h).
// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*(), which its own
// -Wmaybe-uninitialized (and, for _mm512_reduce_add_ps, -Wuninitialized) then reports at every
// inlined use (GCC bug 105593): silenced for this file only (clang has no such warning).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernels/matmul_internal.h"
#include "kernels/weight_pack.h"
#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"

#define DSINFER_MATMUL_X86_NS avx512vnni_impl
#define DSINFER_MATMUL_VNNI_WIDTH 512
#include "kernels/matmul_x86_kernels.inc"

namespace dsinfer::kernels::matmul_detail {

const IsaOps& ops_avx512vnni() {
  static const IsaOps ops{Isa::kAvx512Vnni, &avx512vnni_impl::prepare, &avx512vnni_impl::tile,
                          &avx512vnni_impl::check_vector_ops};
  return ops;
}

}  // namespace dsinfer::kernels::matmul_detail
