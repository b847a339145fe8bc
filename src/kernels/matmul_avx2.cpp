// AVX2 + FMA + F16C matmul: batch-first tiles (up to 4 activation rows x 1-2 weight rows per
// micro-kernel, weight panels kept in cache while every activation row passes) and the
// vectorised activation quantisers. Compiled with -mavx2 -mfma -mf16c; called only when CPUID
// reports them (kernels/isa.h).
#include <immintrin.h>

#include <cstring>

#include "kernels/matmul_internal.h"
#include "kernels/weight_pack.h"
#include "tensor/quant_blocks.h"

// Shared x86 tile driver and micro-kernels (also compiled into matmul_avx512.cpp).
#define DSINFER_MATMUL_X86_NS avx2_impl
#include "kernels/matmul_x86_kernels.inc"

namespace dsinfer::kernels::matmul_detail {

const IsaOps& ops_avx2() {
  static const IsaOps ops{Isa::kAvx2, &avx2_impl::prepare, &avx2_impl::tile, nullptr};
  return ops;
}

}  // namespace dsinfer::kernels::matmul_detail
