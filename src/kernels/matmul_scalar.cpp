// Scalar reference matmul for every weight type: one dot product per (activation row, weight
// row), integer sums per block as the reference defines them. Compiled without auto-vectorisation
// (src/kernels/CMakeLists.txt) so it stays the baseline the SIMD variants are tested against.
#include <cstring>
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
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(half_to_float(w[i])) * x[i];
  return static_cast<float>(sum);
}

float dot_bf16(const uint16_t* w, const float* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float wf = std::bit_cast<float>(static_cast<uint32_t>(w[i]) << 16);
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

float dot_legacy(DType type, const uint8_t* row, const ActBatch& a, int64_t r) {
  const int8_t* qx = a.q + r * a.n_in;
  const float* dx = a.d + r * a.n_blocks;
  const float* sx = a.s + r * a.n_blocks;
  float sumf = 0.0f;
  int qw[32];
  for (int64_t b = 0; b < a.n_blocks; ++b) {
    float dw = 0.0f;
    float mw = 0.0f;
    switch (type) {
      case DType::kQ8_0: {
        const auto* blk = reinterpret_cast<const BlockQ8_0*>(row) + b;
        dw = half_to_float(blk->d);
        for (int i = 0; i < 32; ++i) qw[i] = blk->qs[i];
        break;
      }
      case DType::kQ4_0: {
        const auto* blk = reinterpret_cast<const BlockQ4_0*>(row) + b;
        dw = half_to_float(blk->d);
        decode_q4(blk->qs, 8, qw);
        break;
      }
      case DType::kQ4_1: {
        const auto* blk = reinterpret_cast<const BlockQ4_1*>(row) + b;
        dw = half_to_float(blk->d);
        mw = half_to_float(blk->m);
        decode_q4(blk->qs, 0, qw);
        break;
      }
      case DType::kQ5_0: {
        const auto* blk = reinterpret_cast<const BlockQ5_0*>(row) + b;
        dw = half_to_float(blk->d);
        decode_q5(blk->qs, blk->qh, 16, qw);
        break;
      }
      case DType::kQ5_1: {
        const auto* blk = reinterpret_cast<const BlockQ5_1*>(row) + b;
        dw = half_to_float(blk->d);
        mw = half_to_float(blk->m);
        decode_q5(blk->qs, blk->qh, 0, qw);
        break;
      }
      default:
        return 0.0f;
    }
    const int sumi = dot32(qw, qx + b * 32);
    sumf += static_cast<float>(sumi) * (dw * dx[b]);
    if (type == DType::kQ4_1 || type == DType::kQ5_1) sumf += mw * sx[b];
  }
  return sumf;
}

// K types against Q8_K: per super-block, d_w * d_x * sum_j(scale_j * dot_j) minus (Q4_K/Q5_K)
// dmin_w * d_x * sum_j(min_j * sum of the activation sub-block j).
float dot_k(DType type, const uint8_t* row, const ActBatch& a, int64_t r) {
  const int8_t* qx_row = a.q + r * a.n_in;
  float sumf = 0.0f;
  int qw[256];
  for (int64_t b = 0; b < a.n_blocks; ++b) {
    const int8_t* qx = qx_row + b * 256;
    const int16_t* bsums = a.bsums + (r * a.n_blocks + b) * 16;
    const float dx = a.d[r * a.n_blocks + b];
    if (type == DType::kQ6_K) {
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
      sumf += half_to_float(blk->d) * dx * static_cast<float>(sumi);
      continue;
    }
    // Q4_K / Q5_K: 8 sub-blocks of 32 with 6-bit scale and min.
    const uint8_t* scales_packed;
    const uint8_t* qs;
    const uint8_t* qh = nullptr;
    float dw, dmin;
    if (type == DType::kQ4_K) {
      const auto* blk = reinterpret_cast<const BlockQ4_K*>(row) + b;
      scales_packed = blk->scales;
      qs = blk->qs;
      dw = half_to_float(blk->d);
      dmin = half_to_float(blk->dmin);
    } else {
      const auto* blk = reinterpret_cast<const BlockQ5_K*>(row) + b;
      scales_packed = blk->scales;
      qs = blk->qs;
      qh = blk->qh;
      dw = half_to_float(blk->d);
      dmin = half_to_float(blk->dmin);
    }
    uint8_t sm[16];
    unpack_k_scales(scales_packed, sm);
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < 32; ++l) {
        int lo = qs[32 * j + l] & 0xF;
        int hi = qs[32 * j + l] >> 4;
        if (qh != nullptr) {
          lo |= ((qh[l] >> (2 * j)) & 1) << 4;
          hi |= ((qh[l] >> (2 * j + 1)) & 1) << 4;
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

void tile_rows(const WeightView& w, size_t row_bytes, const ActBatch& a, int64_t o0, int64_t o1,
               float* y, int64_t ldy) {
  for (int64_t o = o0; o < o1; ++o) {
    const uint8_t* row = weight_row(w, row_bytes, o);
    for (int64_t r = 0; r < a.n_rows; ++r) {
      float v = 0.0f;
      switch (w.type) {
        case DType::kF32:
          v = dot_f32(reinterpret_cast<const float*>(row), a.f + r * a.ldf, a.n_in);
          break;
        case DType::kF16:
          v = dot_f16(reinterpret_cast<const uint16_t*>(row), a.f + r * a.ldf, a.n_in);
          break;
        case DType::kBF16:
          v = dot_bf16(reinterpret_cast<const uint16_t*>(row), a.f + r * a.ldf, a.n_in);
          break;
        case DType::kQ4_K:
        case DType::kQ5_K:
        case DType::kQ6_K:
          v = dot_k(w.type, row, a, r);
          break;
        default:
          v = dot_legacy(w.type, row, a, r);
          break;
      }
      y[r * ldy + o] = v;
    }
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
  static const IsaOps ops{Isa::kScalar, &prepare_scalar, &tile_scalar};
  return ops;
}

}  // namespace dsinfer::kernels::matmul_detail
