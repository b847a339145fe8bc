// AVX2 + AVX-VNNI matmul variant: the x86 kernels with the packed Q4_K, Q5_K, Q6_K, Q8_0, Q5_0 and
// Q4_0 kernels on 256-bit vpdpbusd (VEX encoding, matmul_x86_vnni.inc). Compiled with -mavx2 -mfma
// -mf16c -mavxvnni; called only when CPUID reports AVX-VNNI (kernels/isa.h).
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "kernels/matmul_internal.h"
#include "kernels/weight_pack.h"
#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"

#define DSINFER_MATMUL_X86_NS avxvnni_impl
#define DSINFER_MATMUL_VNNI_WIDTH 256
#include "kernels/matmul_x86_kernels.inc"

namespace dsinfer::kernels::matmul_detail {

const IsaOps& ops_avxvnni() {
  static const IsaOps ops{Isa::kAvxVnni, &avxvnni_impl::prepare, &avxvnni_impl::tile,
                          &avxvnni_impl::check_vector_ops};
  return ops;
}

}  // namespace dsinfer::kernels::matmul_detail
