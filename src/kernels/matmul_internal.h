// Internals shared by the matmul dispatcher (matmul.cpp) and its per-ISA variants
// (matmul_scalar.cpp, matmul_avx2.cpp, matmul_avx512.cpp): the prepared-activation batch and the
// table of functions each variant provides. Not for use outside src/kernels/ and its tests.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/isa.h"
#include "kernels/matmul.h"
#include "kernels/weight_types.h"
#include "tensor/dtype.h"
#include "tensor/fp16.h"

namespace dsinfer::kernels::matmul_detail {

using kernels::ActFormat;

// Activation format for a weight type; throws Error(kUnsupported) for other types.
ActFormat act_format_for(tensor::DType type);

// Activations of n_rows rows prepared for one weight type. Row r of each array starts at
// r * (its per-row length); blocks are 32 (kQ8_0/kQ8_1) or 256 (kQ8_K) elements.
// NOTE: a private struct-of-arrays layout (rather than BlockQ8_0 records) so that int8 rows are
// contiguous and 32-byte aligned for the SIMD loads, and scales sit in their own float array.
struct ActBatch {
  ActFormat format = ActFormat::kF32;
  int64_t n_rows = 0;
  int64_t n_in = 0;
  int64_t n_blocks = 0;  // blocks per row (quantised formats)
  // kF32 / kF16 / kBF16: values, row stride ldf floats.
  float* f = nullptr;
  int64_t ldf = 0;
  // Quantised formats: q[r * n_in + i]; d[r * n_blocks + b]; s[r * n_blocks + b] (kQ8_0: exact
  // d * sum(q); kQ8_1: the reference's fp16-rounded s); isum[r * n_blocks + b] = sum(q) of the
  // block (kQ8_0/kQ8_1); bsums[(r * n_blocks + b) * 16 + j] (kQ8_K: sums of 16 elements) and
  // bsums32[(r * n_blocks + b) * 8 + j] (kQ8_K: sums of 32, for the packed Q4_K kernel's
  // sub-block mins).
  int8_t* q = nullptr;
  float* d = nullptr;
  float* s = nullptr;
  int32_t* isum = nullptr;
  int16_t* bsums = nullptr;
  int16_t* bsums32 = nullptr;
};

// Bytes of weight row `o`: rows are row_stride apart, or tightly packed when it is 0.
static inline const uint8_t* weight_row(const WeightView& w, size_t row_bytes, int64_t o) {
  const size_t stride = w.row_stride != 0 ? w.row_stride : row_bytes;
  return static_cast<const uint8_t*>(w.data) + static_cast<size_t>(o) * stride;
}

// Unpacks the 12 packed bytes of a Q4_K/Q5_K super-block into 8 six-bit scales (out[0..8)) and
// 8 six-bit mins (out[8..16)), sub-block j covering elements 32j..32j+31.
// NOTE: bytes 0-3 hold the low 6 bits of scales 0-3 (top 2 bits: high bits of scales 4-7),
// bytes 4-7 likewise for mins 0-3 / 4-7, bytes 8-11 the low 4 bits of scale (low nibble) and
// min (high nibble) 4-7 (GGUF Q4_K layout).
static inline void unpack_k_scales(const uint8_t* packed, uint8_t* out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = packed[j] & 63;
    out[8 + j] = packed[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    out[j] = static_cast<uint8_t>((packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4));
    out[8 + j] = static_cast<uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
  }
}

// One ISA variant of the matmul.
struct IsaOps {
  Isa isa;
  // Prepares rows [r0, r1) of x (row stride ldx) into `a` (its arrays already allocated;
  // not used for kF32, whose `f` points at x itself).
  void (*prepare)(const ActBatch& a, const float* x, int64_t ldx, int64_t r0, int64_t r1);
  // y[r][o] for every activation row r and weight rows o in [o0, o1).
  void (*tile)(const WeightView& w, size_t row_bytes, const ActBatch& a, int64_t o0, int64_t o1,
               float* y, int64_t ldy);
  // Exhaustive checks of the variant's vector operations against their scalar meaning: "" when
  // all hold, else the first failure. nullptr for variants without such operations.
  std::string (*check_vector_ops)();
};

const IsaOps& ops_scalar();
const IsaOps& ops_avx2();
const IsaOps& ops_avx512();
const IsaOps& ops_avxvnni();
const IsaOps& ops_avx512vnni();

// The variant's functions; throws Error(kUnsupported) when this CPU/build cannot run `isa`.
const IsaOps& isa_ops(Isa isa);

// Shared scalar activation preparation (reference numerics; used by the scalar variant and as
// the fallback of the others for formats they do not vectorise).
void prepare_scalar(const ActBatch& a, const float* x, int64_t ldx, int64_t r0, int64_t r1);

}  // namespace dsinfer::kernels::matmul_detail
