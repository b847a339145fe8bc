// Scalar reference matmul for every weight type: one dot product per (activation row, weight
// row), integer sums per block as the reference defines them. Compiled without auto-vectorisation
// (src/kernels/CMakeLists.txt) so it stays the baseline the SIMD variants are tested against.
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels/matmul_internal.h"
#include "kernels/weight_pack.h"
#include "tensor/quant_blocks.h"

namespace dsinfer::kernels::matmul_detail {

namespace {

using namespace dsinfer::tensor;

float dot_f32(const float* w, const float* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(w[i]) * x[i];
  return static_cast<float>(sum);
}

float dot_f16(const uint16_t* w, const float* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(tensor::fp16_to_float(w[i])) * x[i];
  return static_cast<float>(sum);
}

float dot_bf16(const uint16_t* w, const float* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float wf = tensor::bf16_to_float(w[i]);
    sum += static_cast<double>(wf) * x[i];
  }
  return static_cast<float>(sum);
}

// Legacy types: weight block b decoded to 32 integers `qw` (with the type's offset applied for
// Q4_0/Q5_0), then sumi = sum(qw * qx) and sumf += d_w * d_x * sumi (+ m_w * s_x for *_1 types).
void decode_q4(const uint8_t* qs, int offset, int* out) {
  for (int j = 0; j < 16; ++j) {
    out[j] = (qs[j] & 0xF) - offset;
    out[j + 16] = (qs[j] >> 4) - offset;
  }
}

void decode_q5(const uint8_t* qs, const uint8_t* qh_bytes, int offset, int* out) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  for (int j = 0; j < 16; ++j) {
    out[j] = ((qs[j] & 0xF) | (((qh >> j) & 1) << 4)) - offset;
    out[j + 16] = ((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset;
  }
}

int dot32(const int* qw, const int8_t* qx) {
  int sum = 0;
  for (int i = 0; i < 32; ++i) sum += qw[i] * qx[i];
  return sum;
}

// Per legacy type: its block, whether it has a min (the *_1 types) and its 32 decoded values.
struct LegacyQ8_0 {
  using Block = BlockQ8_0;
  static constexpr bool kHasMin = false;
  static void decode(const Block& b, int* out) {
    for (int i = 0; i < 32; ++i) out[i] = b.qs[i];
  }
};
struct LegacyQ4_0 {
  using Block = BlockQ4_0;
  static constexpr bool kHasMin = false;
  static void decode(const Block& b, int* out) { decode_q4(b.qs, 8, out); }
};
struct LegacyQ4_1 {
  using Block = BlockQ4_1;
  static constexpr bool kHasMin = true;
  static void decode(const Block& b, int* out) { decode_q4(b.qs, 0, out); }
};
struct LegacyQ5_0 {
  using Block = BlockQ5_0;
  static constexpr bool kHasMin = false;
  static void decode(const Block& b, int* out) { decode_q5(b.qs, b.qh, 16, out); }
};
struct LegacyQ5_1 {
  using Block = BlockQ5_1;
  static constexpr bool kHasMin = true;
  static void decode(const Block& b, int* out) { decode_q5(b.qs, b.qh, 0, out); }
};

template <class L>
float dot_legacy(const uint8_t* row, const ActBatch& a, int64_t r) {
  const int8_t* qx = a.q + r * a.n_in;
  const float* dx = a.d + r * a.n_blocks;
  const float* sx = a.s + r * a.n_blocks;
  float sumf = 0.0f;
  int qw[32];
  for (int64_t b = 0; b < a.n_blocks; ++b) {
    const auto& blk = reinterpret_cast<const typename L::Block*>(row)[b];
    const float dw = tensor::fp16_to_float(blk.d);
    L::decode(blk, qw);
    const int sumi = dot32(qw, qx + b * 32);
    sumf += static_cast<float>(sumi) * (dw * dx[b]);
    if constexpr (L::kHasMin) sumf += tensor::fp16_to_float(blk.m) * sx[b];
  }
  return sumf;
}

// Q6_K against Q8_K: per super-block, d_w * d_x * sum_j(scale_j * dot_j) over 16 sub-blocks.
float dot_q6_k(const uint8_t* row, const ActBatch& a, int64_t r) {
  const int8_t* qx_row = a.q + r * a.n_in;
  float sumf = 0.0f;
  int qw[256];
  for (int64_t b = 0; b < a.n_blocks; ++b) {
    const int8_t* qx = qx_row + b * 256;
    const float dx = a.d[r * a.n_blocks + b];
    const auto* blk = reinterpret_cast<const BlockQ6_K*>(row) + b;
    uint8_t values[256];
    q6_k_values(*blk, values);
    for (int i = 0; i < 256; ++i) qw[i] = values[i] - 32;
    int sumi = 0;
    for (int j = 0; j < 16; ++j) {
      int s = 0;
      for (int i = 0; i < 16; ++i) s += qw[j * 16 + i] * qx[j * 16 + i];
      sumi += blk->scales[j] * s;
    }
    sumf += tensor::fp16_to_float(blk->d) * dx * static_cast<float>(sumi);
  }
  return sumf;
}

// Q4_K / Q5_K against Q8_K: per super-block, d_w * d_x * sum_j(scale_j * dot_j) minus
// dmin_w * d_x * sum_j(min_j * sum of the activation sub-block j), 8 sub-blocks of 32.
template <class Block>
float dot_q45_k(const uint8_t* row, const ActBatch& a, int64_t r) {
  constexpr bool kHasHigh = std::is_same_v<Block, BlockQ5_K>;
  const int8_t* qx_row = a.q + r * a.n_in;
  float sumf = 0.0f;
  int qw[256];
  for (int64_t b = 0; b < a.n_blocks; ++b) {
    const int8_t* qx = qx_row + b * 256;
    const int16_t* bsums = a.bsums + (r * a.n_blocks + b) * 16;
    const float dx = a.d[r * a.n_blocks + b];
    const Block* blk = reinterpret_cast<const Block*>(row) + b;
    const uint8_t* qs = blk->qs;
    const float dw = tensor::fp16_to_float(blk->d);
    const float dmin = tensor::fp16_to_float(blk->dmin);
    uint8_t sm[16];
    unpack_k_scales(blk->scales, sm);
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < 32; ++l) {
        int lo = qs[32 * j + l] & 0xF;
        int hi = qs[32 * j + l] >> 4;
        if constexpr (kHasHigh) {
          lo |= ((blk->qh[l] >> (2 * j)) & 1) << 4;
          hi |= ((blk->qh[l] >> (2 * j + 1)) & 1) << 4;
        }
        qw[64 * j + l] = lo;
        qw[64 * j + 32 + l] = hi;
      }
    }
    int sumi = 0;
    int summ = 0;
    for (int j = 0; j < 8; ++j) {
      int s = 0;
      for (int i = 0; i < 32; ++i) s += qw[j * 32 + i] * qx[j * 32 + i];
      sumi += sm[j] * s;
      summ += sm[8 + j] * (bsums[2 * j] + bsums[2 * j + 1]);
    }
    sumf += dw * dx * static_cast<float>(sumi);
    sumf -= dmin * dx * static_cast<float>(summ);
  }
  return sumf;
}

// Float types: the row against the prepared (rounded) float activations.
template <float (*Dot)(const uint16_t*, const float*, int64_t)>
float dot_half(const uint8_t* row, const ActBatch& a, int64_t r) {
  return Dot(reinterpret_cast<const uint16_t*>(row), a.f + r * a.ldf, a.n_in);
}
float dot_f32_row(const uint8_t* row, const ActBatch& a, int64_t r) {
  return dot_f32(reinterpret_cast<const float*>(row), a.f + r * a.ldf, a.n_in);
}

// The scalar dot of every matmul type (checked against kernels/weight_types.h below).
using DotFn = float (*)(const uint8_t* row, const ActBatch& a, int64_t r);
struct DotRow {  // packed groups are unpacked to GGUF rows and run through `rows` (tile_scalar)
  DType type;
  DotFn rows;
};
constexpr DotRow kDots[] = {
    {DType::kF32, dot_f32_row},
    {DType::kF16, dot_half<dot_f16>},
    {DType::kBF16, dot_half<dot_bf16>},
    {DType::kQ8_0, dot_legacy<LegacyQ8_0>},
    {DType::kQ4_0, dot_legacy<LegacyQ4_0>},
    {DType::kQ4_1, dot_legacy<LegacyQ4_1>},
    {DType::kQ5_0, dot_legacy<LegacyQ5_0>},
    {DType::kQ5_1, dot_legacy<LegacyQ5_1>},
    {DType::kQ4_K, dot_q45_k<BlockQ4_K>},
    {DType::kQ5_K, dot_q45_k<BlockQ5_K>},
    {DType::kQ6_K, dot_q6_k},
};
#ifndef __SANITIZE_ADDRESS__  // see covers_weight_types
static_assert(covers_weight_types(kDots), "matmul_scalar.cpp: kDots must match kWeightTypes");
#endif

DotFn dot_for(DType type) {
  for (const DotRow& d : kDots) {
    if (d.type == type) return d.rows;
  }
  return nullptr;  // unreachable: matmul() checked the type against the same table
}

void tile_rows(const WeightView& w, size_t row_bytes, const ActBatch& a, int64_t o0, int64_t o1,
               float* y, int64_t ldy) {
  const DotFn dot = dot_for(w.type);
  for (int64_t o = o0; o < o1; ++o) {
    const uint8_t* row = weight_row(w, row_bytes, o);
    for (int64_t r = 0; r < a.n_rows; ++r) y[r * ldy + o] = dot(row, a, r);
  }
}

// Packed groups of 8 rows: each group is unpacked to the GGUF layout and computed as above,
// so the scalar variant stays the reference for the packed kernels too.
void tile_scalar(const WeightView& w, size_t row_bytes, const ActBatch& a, int64_t o0, int64_t o1,
                 float* y, int64_t ldy) {
  if (w.layout == WeightLayout::kRows) return tile_rows(w, row_bytes, a, o0, o1, y, ldy);
  std::vector<uint8_t> rows(8 * row_bytes);
  WeightView group = w;
  group.layout = WeightLayout::kRows;
  group.row_stride = row_bytes;
  group.data = rows.data();
  group.n_out = 8;
  for (int64_t g = o0 / 8; g < o1 / 8; ++g) {
    unpack_rows8(w, g, rows.data());
    tile_rows(group, row_bytes, a, 0, 8, y + g * 8, ldy);
  }
}

}  // namespace

const IsaOps& ops_scalar() {
  static const IsaOps ops{Isa::kScalar, &prepare_scalar, &tile_scalar, nullptr};
  return ops;
}

}  // namespace dsinfer::kernels::matmul_detail
