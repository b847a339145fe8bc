// Repack of Q4_K / Q5_K / Q6_K / Q8_0 / Q5_0 / Q4_0 rows into interleaved groups of 8 (layouts in
// weight_pack.h) and back.
#include "kernels/weight_pack.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "base/error.h"
#include "base/mapped_file.h"
#include "kernels/matmul_internal.h"
#include "tensor/quant_blocks.h"

namespace dsinfer::kernels {

namespace {

using tensor::BlockQ4_0;
using tensor::BlockQ4_K;
using tensor::BlockQ5_0;
using tensor::BlockQ5_K;
using tensor::BlockQ6_K;
using tensor::BlockQ8_0;
using tensor::DType;

constexpr int kRows = 8;
constexpr int kSteps = 32;

// Row element of byte p of step t: lo (low nibble) and hi (high nibble).
constexpr int lo_element(int t, int p) { return 64 * (t / 8) + 4 * (t % 8) + p; }
constexpr int hi_element(int t, int p) { return lo_element(t, p) + 32; }

// Inverse of matmul_detail::unpack_k_scales: 8 scales and 8 mins (6-bit) into 12 bytes.
void pack_k_scales(const uint8_t* sc, const uint8_t* mn, uint8_t* out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    out[j + 4] = static_cast<uint8_t>((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
    out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
}

// The fields Q4_K and Q5_K share (d, dmin, 6-bit scales and mins, 4-bit qs) of row r.
template <class Block, class Packed>
void pack_k_common(const Block& b, int r, Packed& out) {
  out.d[r] = b.d;
  out.dmin[r] = b.dmin;
  uint8_t sm[16];
  matmul_detail::unpack_k_scales(b.scales, sm);
  for (int s = 0; s < 8; ++s) out.scales[s][r] = sm[s];
  for (int t = 0; t < 4; ++t) {
    out.mins[t][r][0] = sm[8 + 2 * t];
    out.mins[t][r][1] = sm[8 + 2 * t + 1];
  }
  // In Q4_K/Q5_K, byte 32j + l of qs holds element 64j + l (low nibble) and 64j + 32 + l (high
  // nibble), which is exactly the lo/hi pairing of a packed step.
  for (int t = 0; t < kSteps; ++t) {
    std::memcpy(&out.qs[t][4 * r], b.qs + 32 * (t / 8) + 4 * (t % 8), 4);
  }
}

template <class Block, class Packed>
void unpack_k_common(const Packed& in, int r, Block& b) {
  b.d = in.d[r];
  b.dmin = in.dmin[r];
  uint8_t sc[8], mn[8];
  for (int s = 0; s < 8; ++s) sc[s] = in.scales[s][r];
  for (int t = 0; t < 4; ++t) {
    mn[2 * t] = in.mins[t][r][0];
    mn[2 * t + 1] = in.mins[t][r][1];
  }
  pack_k_scales(sc, mn, b.scales);
  for (int t = 0; t < kSteps; ++t) {
    std::memcpy(b.qs + 32 * (t / 8) + 4 * (t % 8), &in.qs[t][4 * r], 4);
  }
}

void pack_q4_k(const BlockQ4_K* const* rows, BlockQ4_Kx8& out) {
  for (int r = 0; r < kRows; ++r) pack_k_common(*rows[r], r, out);
}

void unpack_q4_k(const BlockQ4_Kx8& in, BlockQ4_K* const* rows) {
  for (int r = 0; r < kRows; ++r) unpack_k_common(in, r, *rows[r]);
}

// Q5_K's qh byte l holds the 5th bit of element 64j + l in bit 2j and of 64j + 32 + l in bit
// 2j + 1, i.e. bit s for sub-block s: bytes 4k..4k+3 go with packed steps k, 8 + k, 16 + k, 24 + k.
void pack_q5_k(const BlockQ5_K* const* rows, BlockQ5_Kx8& out) {
  for (int r = 0; r < kRows; ++r) {
    pack_k_common(*rows[r], r, out);
    for (int k = 0; k < 8; ++k) std::memcpy(&out.qh[k][4 * r], rows[r]->qh + 4 * k, 4);
  }
}

void unpack_q5_k(const BlockQ5_Kx8& in, BlockQ5_K* const* rows) {
  for (int r = 0; r < kRows; ++r) {
    unpack_k_common(in, r, *rows[r]);
    for (int k = 0; k < 8; ++k) std::memcpy(rows[r]->qh + 4 * k, &in.qh[k][4 * r], 4);
  }
}

void pack_q6_k(const BlockQ6_K* const* rows, BlockQ6_Kx8& out) {
  for (auto& quad : out.quads) std::memset(quad.qh, 0, sizeof(quad.qh));
  for (int r = 0; r < kRows; ++r) {
    const BlockQ6_K& b = *rows[r];
    out.d[r] = b.d;
    for (int t = 0; t < 8; ++t) {
      out.scales[t][r][0] = b.scales[2 * t];
      out.scales[t][r][1] = b.scales[2 * t + 1];
    }
    uint8_t v[256];
    tensor::q6_k_values(b, v);
    for (int t = 0; t < kSteps; ++t) {
      for (int p = 0; p < 4; ++p) {
        const uint8_t lo = v[lo_element(t, p)], hi = v[hi_element(t, p)];
        BlockQ6_Kx8::Quad& quad = out.quads[t / 4];
        quad.ql[t % 4][4 * r + p] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        const int shift = 2 * (t % 4);
        quad.qh[0][4 * r + p] |= static_cast<uint8_t>((lo >> 4) << shift);
        quad.qh[1][4 * r + p] |= static_cast<uint8_t>((hi >> 4) << shift);
      }
    }
  }
}

void unpack_q6_k(const BlockQ6_Kx8& in, BlockQ6_K* const* rows) {
  for (int r = 0; r < kRows; ++r) {
    BlockQ6_K& b = *rows[r];
    b.d = in.d[r];
    for (int t = 0; t < 8; ++t) {
      b.scales[2 * t] = in.scales[t][r][0];
      b.scales[2 * t + 1] = in.scales[t][r][1];
    }
    uint8_t v[256];
    for (int t = 0; t < kSteps; ++t) {
      for (int p = 0; p < 4; ++p) {
        const BlockQ6_Kx8::Quad& quad = in.quads[t / 4];
        const uint8_t q = quad.ql[t % 4][4 * r + p];
        const int shift = 2 * (t % 4);
        const int h_lo = (quad.qh[0][4 * r + p] >> shift) & 3;
        const int h_hi = (quad.qh[1][4 * r + p] >> shift) & 3;
        v[lo_element(t, p)] = static_cast<uint8_t>((q & 0xF) | (h_lo << 4));
        v[hi_element(t, p)] = static_cast<uint8_t>((q >> 4) | (h_hi << 4));
      }
    }
    tensor::q6_k_set_values(v, b);
  }
}

void pack_q8_0(const BlockQ8_0* const* rows, BlockQ8_0x8& out) {
  for (int r = 0; r < kRows; ++r) {
    out.d[r] = rows[r]->d;
    for (int k = 0; k < 8; ++k) std::memcpy(&out.qs[k][4 * r], rows[r]->qs + 4 * k, 4);
  }
}

void unpack_q8_0(const BlockQ8_0x8& in, BlockQ8_0* const* rows) {
  for (int r = 0; r < kRows; ++r) {
    rows[r]->d = in.d[r];
    for (int k = 0; k < 8; ++k) std::memcpy(rows[r]->qs + 4 * k, &in.qs[k][4 * r], 4);
  }
}

void pack_q5_0(const BlockQ5_0* const* rows, BlockQ5_0x8& out) {
  for (int r = 0; r < kRows; ++r) {
    out.d[r] = rows[r]->d;
    uint32_t qh;
    std::memcpy(&qh, rows[r]->qh, 4);
    for (int j = 0; j < 4; ++j) {
      for (int p = 0; p < 4; ++p) {
        const int e = 4 * j + p;  // and e + 16 in the high nibble
        out.qs[j][4 * r + p] = rows[r]->qs[e];
        if (j == 0) out.qh[4 * r + p] = 0;
        out.qh[4 * r + p] |=
            static_cast<uint8_t>((((qh >> e) & 1) << j) | (((qh >> (e + 16)) & 1) << (4 + j)));
      }
    }
  }
}

void unpack_q5_0(const BlockQ5_0x8& in, BlockQ5_0* const* rows) {
  for (int r = 0; r < kRows; ++r) {
    rows[r]->d = in.d[r];
    uint32_t qh = 0;
    for (int j = 0; j < 4; ++j) {
      for (int p = 0; p < 4; ++p) {
        const int e = 4 * j + p;
        rows[r]->qs[e] = in.qs[j][4 * r + p];
        const uint8_t bits = in.qh[4 * r + p];
        qh |= static_cast<uint32_t>((bits >> j) & 1) << e;
        qh |= static_cast<uint32_t>((bits >> (4 + j)) & 1) << (e + 16);
      }
    }
    std::memcpy(rows[r]->qh, &qh, 4);
  }
}

void pack_q4_0(const BlockQ4_0* const* rows, BlockQ4_0x8& out) {
  for (int r = 0; r < kRows; ++r) {
    out.d[r] = rows[r]->d;
    for (int j = 0; j < 4; ++j) std::memcpy(&out.qs[j][4 * r], rows[r]->qs + 4 * j, 4);
  }
}

void unpack_q4_0(const BlockQ4_0x8& in, BlockQ4_0* const* rows) {
  for (int r = 0; r < kRows; ++r) {
    rows[r]->d = in.d[r];
    for (int j = 0; j < 4; ++j) std::memcpy(rows[r]->qs + 4 * j, &in.qs[j][4 * r], 4);
  }
}

// Per packed type: the GGUF block, its 8-row form, and the two conversions.
template <class Block, class Packed, void (*Pack)(const Block* const*, Packed&),
          void (*Unpack)(const Packed&, Block* const*)>
struct Packing {
  static void pack(const uint8_t* src, size_t stride, int64_t nb, int64_t g, uint8_t* out) {
    for (int64_t b = 0; b < nb; ++b) {
      const Block* rows[kRows];
      for (int r = 0; r < kRows; ++r) {
        rows[r] = reinterpret_cast<const Block*>(src + (g * kRows + r) * stride) + b;
      }
      Pack(rows, reinterpret_cast<Packed*>(out)[b]);
    }
  }
  static void unpack(const uint8_t* in, size_t row_bytes, int64_t nb, uint8_t* out) {
    for (int64_t b = 0; b < nb; ++b) {
      Block* rows[kRows];
      for (int r = 0; r < kRows; ++r) rows[r] = reinterpret_cast<Block*>(out + r * row_bytes) + b;
      Unpack(reinterpret_cast<const Packed*>(in)[b], rows);
    }
  }
};

template <class P, class Packed>
constexpr Rows8Codec rows8_codec() {
  return {sizeof(Packed), &P::pack, &P::unpack};
}

// nullptr when `type` has no 8-row layout (its row in kernels/weight_types.h).
const Rows8Codec* packed_type_of(DType type) {
  const WeightTypeRow* row = weight_type_row(type);
  return row != nullptr ? row->rows8 : nullptr;
}

int64_t blocks_per_row(const WeightView& w) {
  return w.n_in / tensor::dtype_info(w.type).block_size;
}

}  // namespace

const Rows8Codec kRows8Q4_K =
    rows8_codec<Packing<BlockQ4_K, BlockQ4_Kx8, pack_q4_k, unpack_q4_k>, BlockQ4_Kx8>();
const Rows8Codec kRows8Q6_K =
    rows8_codec<Packing<BlockQ6_K, BlockQ6_Kx8, pack_q6_k, unpack_q6_k>, BlockQ6_Kx8>();
const Rows8Codec kRows8Q8_0 =
    rows8_codec<Packing<BlockQ8_0, BlockQ8_0x8, pack_q8_0, unpack_q8_0>, BlockQ8_0x8>();
const Rows8Codec kRows8Q5_0 =
    rows8_codec<Packing<BlockQ5_0, BlockQ5_0x8, pack_q5_0, unpack_q5_0>, BlockQ5_0x8>();

const Rows8Codec kRows8Q4_0 =
    rows8_codec<Packing<BlockQ4_0, BlockQ4_0x8, pack_q4_0, unpack_q4_0>, BlockQ4_0x8>();
const Rows8Codec kRows8Q5_K =
    rows8_codec<Packing<BlockQ5_K, BlockQ5_Kx8, pack_q5_k, unpack_q5_k>, BlockQ5_Kx8>();

bool has_rows8_layout(DType type) { return packed_type_of(type) != nullptr; }

bool packable_rows8(const WeightView& w) {
  return w.layout == WeightLayout::kRows && has_rows8_layout(w.type) && w.n_in > 0 &&
         w.n_in % tensor::dtype_info(w.type).block_size == 0 && w.n_out > 0 &&
         w.n_out % kRows == 0 && w.data != nullptr;
}

size_t packed_group_bytes(const WeightView& packed) {
  return packed_type_of(packed.type)->block_bytes * static_cast<size_t>(blocks_per_row(packed));
}

namespace {

void require_packable(const WeightView& w) {
  if (!packable_rows8(w)) {
    fail(ErrorKind::kInvalidInput,
         "pack_rows8: needs a row-major weight of a type with an 8-row layout ({}) with whole "
         "blocks and a multiple of 8 rows (got {} [{}, {}])",
         rows8_types_text(), tensor::dtype_name(w.type), w.n_in, w.n_out);
  }
}

}  // namespace

size_t packed_rows8_bytes(const WeightView& w) {
  require_packable(w);
  WeightView packed = w;
  packed.layout = WeightLayout::kRows8;
  return packed_group_bytes(packed) * static_cast<size_t>(w.n_out / kRows);
}

WeightView pack_rows8_into(const WeightView& w, uint8_t* dst, ExecContext& ctx,
                           bool release_source) {
  require_packable(w);
  const size_t row_bytes = tensor::row_bytes(tensor::dtype_info(w.type), w.n_in);
  const size_t stride = w.row_stride != 0 ? w.row_stride : row_bytes;
  const int64_t nb = blocks_per_row(w);
  WeightView out = w;
  out.layout = WeightLayout::kRows8;
  out.row_stride = row_bytes;
  out.data = dst;
  const size_t group_bytes = packed_group_bytes(out);
  const int64_t n_groups = w.n_out / kRows;
  const auto* src = static_cast<const uint8_t*>(w.data);
  const auto pack_group = packed_type_of(w.type)->pack;
  // Stretches of ~16 MiB of source rows: packed in parallel, then (release_source) dropped.
  const int64_t stretch =
      std::max<int64_t>(1, static_cast<int64_t>((size_t{16} << 20) / (kRows * stride)));
  for (int64_t s0 = 0; s0 < n_groups; s0 += stretch) {
    const int64_t s1 = std::min(n_groups, s0 + stretch);
    ctx.parallel_for(s1 - s0, 8, [&](int64_t g0, int64_t g1, int) {
      for (int64_t g = s0 + g0; g < s0 + g1; ++g) {
        pack_group(src, stride, nb, g, dst + static_cast<size_t>(g) * group_bytes);
      }
    });
    if (release_source) {
      release_mapped_pages(src + static_cast<size_t>(s0) * kRows * stride,
                           static_cast<size_t>(s1 - s0) * kRows * stride);
    }
  }
  return out;
}

PackedWeight pack_rows8(const WeightView& w, ExecContext& ctx, bool release_source) {
  PackedWeight out;
  out.bytes_ = packed_rows8_bytes(w);
  out.data_ = allocate_huge_backed(out.bytes_);
  out.view_ = pack_rows8_into(w, out.data_.get(), ctx, release_source);
  return out;
}

void unpack_rows8(const WeightView& packed, int64_t group, uint8_t* out) {
  const size_t row_bytes = tensor::row_bytes(tensor::dtype_info(packed.type), packed.n_in);
  const size_t group_bytes = packed_group_bytes(packed);
  const auto* src =
      static_cast<const uint8_t*>(packed.data) + static_cast<size_t>(group) * group_bytes;
  packed_type_of(packed.type)->unpack(src, row_bytes, blocks_per_row(packed), out);
}

}  // namespace dsinfer::kernels
