// AVX-512 (F/BW/VL/DQ) matmul variant: the shared x86 tile driver and micro-kernels compiled for
// AVX-512 (EVEX encodings, 32 vector registers). Called only when CPUID reports AVX-512
// (kernels/isa.h); this file cannot be exercised on CPUs without it.
#include <immintrin.h>

#include <cstring>

#include "kernels/matmul_internal.h"
#include "kernels/weight_pack.h"
#include "tensor/quant_blocks.h"

#define DSINFER_MATMUL_X86_NS avx512_impl
#include "kernels/matmul_x86_kernels.inc"

namespace dsinfer::kernels::matmul_detail {

const IsaOps& ops_avx512() {
  static const IsaOps ops{Isa::kAvx512, &avx512_impl::prepare, &avx512_impl::tile, nullptr};
  return ops;
}

}  // namespace dsinfer::kernels::matmul_detail
