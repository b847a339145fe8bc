// One-time repack of weights (the types whose row in kernels/weight_types.h has a Rows8Codec:
// Q4_K, Q5_K, Q6_K, Q8_0, Q5_0, Q4_0) into row-interleaved groups of 8 rows, the
// layout the SIMD matmul kernels read fastest: one 32-byte load carries 4 bytes of each of 8 weight
// rows (one row per 32-bit lane), so a kernel computes 8 outputs at once with no horizontal sums
// and decodes each super-block's scales once for 8 rows. The values are those of the GGUF blocks,
// bit for bit (unpack_rows8 gives back the original bytes); the matmul result is the same integer
// arithmetic as on the original layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/huge_pages.h"
#include "kernels/exec_context.h"
#include "kernels/matmul.h"
#include "kernels/weight_types.h"

namespace dsinfer::kernels {

// K types: step t (0..31) of a packed super-block covers, in each row, elements 64*(t/8) + 4*(t%8)
// + p (p = 0..3) in the low nibbles ("lo" elements) and the same + 32 in the high nibbles ("hi").
// Byte 4*r + p of step t belongs to row r.
#pragma pack(push, 1)
struct BlockQ4_Kx8 {      // 8 rows x 256 elements of Q4_K
  uint16_t d[8];          // fp16 super-block scale of each row
  uint16_t dmin[8];       // fp16 super-block min scale of each row
  uint8_t scales[8][8];   // [sub-block of 32][row], 6-bit
  uint8_t mins[4][8][2];  // [pair t][row][sub-block 2t, 2t+1], 6-bit
  uint8_t qs[32][32];     // [step][4 * row + p]: lo element in the low nibble
};
struct BlockQ5_Kx8 {  // 8 rows x 256 elements of Q5_K: the Q4_K x8 fields plus the 5th bits
  uint16_t d[8];
  uint16_t dmin[8];
  uint8_t scales[8][8];
  uint8_t mins[4][8][2];
  uint8_t qh[8][32];  // [k][4 * row + p]: the row's qh[4k + p]; bit s = 5th bit of element
                      // 4k + p of sub-block s (whose value is in step 8 * (s / 2) + k)
  uint8_t qs[32][32];
};
struct BlockQ6_Kx8 {       // 8 rows x 256 elements of Q6_K
  uint16_t d[8];           // fp16 super-block scale of each row
  int8_t scales[8][8][2];  // [pair t][row][sub-block of 16: 2t, 2t+1]
  struct Quad {            // steps 4u..4u+3, stored in the order the kernel reads them
    uint8_t ql[4][32];     // [step][4 * row + p]: low 4 bits (lo element in the low nibble)
    uint8_t qh[2][32];     // [lo, hi][4 * row + p]: bits 2k, 2k+1 = top 2 bits of step k
  } quads[8];
};
struct BlockQ8_0x8 {  // 8 rows x 32 elements of Q8_0
  uint16_t d[8];      // fp16 block scale of each row
  int8_t qs[8][32];   // [step k][4 * row + p]: element 4k + p of the row
};
struct BlockQ5_0x8 {  // 8 rows x 32 elements of Q5_0
  uint16_t d[8];      // fp16 block scale of each row
  uint8_t qs[4][32];  // [step j][4 * row + p]: the row's qs[4j + p] (low 4 bits of
                      // element 4j + p, high nibble: of element 16 + 4j + p)
  uint8_t qh[32];     // [4 * row + p]: bit j = 5th bit of element 4j + p, bit 4 + j =
                      // of element 16 + 4j + p
};
struct BlockQ4_0x8 {  // 8 rows x 32 elements of Q4_0
  uint16_t d[8];      // fp16 block scale of each row
  uint8_t qs[4][32];  // [step j][4 * row + p]: the row's qs[4j + p] (element 4j + p in the low
                      // nibble, 16 + 4j + p in the high one)
};
#pragma pack(pop)
static_assert(sizeof(BlockQ4_0x8) == 8 * 18, "Q4_0 x8: exactly 8 blocks");
static_assert(sizeof(BlockQ5_Kx8) == 8 * 176 + 32, "Q5_K x8: 8 blocks plus unpacked scales");
static_assert(sizeof(BlockQ5_0x8) == 8 * 22, "Q5_0 x8: exactly 8 blocks");
static_assert(sizeof(BlockQ8_0x8) == 8 * 34, "Q8_0 x8: exactly 8 blocks");
static_assert(sizeof(BlockQ4_Kx8) == 8 * 144 + 32, "Q4_K x8: 8 blocks plus unpacked scales");
static_assert(sizeof(BlockQ6_Kx8) == 8 * 210, "Q6_K x8: exactly 8 blocks");

// True for the types with an 8-row layout (a Rows8Codec in their kernels/weight_types.h row).
bool has_rows8_layout(tensor::DType type);

// True when pack_rows8 accepts `w`: row-major, has_rows8_layout, whole blocks, n_out a multiple
// of 8.
bool packable_rows8(const WeightView& w);

// Bytes of the packed copy of `w` (packable_rows8 must hold).
size_t packed_rows8_bytes(const WeightView& w);

// Packs `w` (packable_rows8 must hold; Error(kInvalidInput) otherwise) into `dst`
// (packed_rows8_bytes(w) bytes, 64-byte aligned) and returns its view: layout kRows8 and the same
// type, n_in, n_out and row_stride (the stored-type row size) as `w`.
// release_source: `w` is in a read-only file mapping, and its pages are dropped as soon as a
// stretch of rows is packed (base/mapped_file.h), so the peak resident memory stays ~ one copy.
WeightView pack_rows8_into(const WeightView& w, uint8_t* dst, ExecContext& ctx,
                           bool release_source = false);

// Owns the packed bytes of one weight (on huge pages: base/huge_pages.h); view() is what matmul
// takes.
class PackedWeight {
 public:
  PackedWeight() = default;
  const WeightView& view() const { return view_; }
  size_t bytes() const { return bytes_; }

 private:
  friend PackedWeight pack_rows8(const WeightView& w, ExecContext& ctx, bool release_source);
  HugeBuffer data_;
  size_t bytes_ = 0;
  WeightView view_;
};

// pack_rows8_into a buffer of its own.
PackedWeight pack_rows8(const WeightView& w, ExecContext& ctx, bool release_source = false);

// Bytes of one packed group of 8 rows (all super-blocks of a row).
size_t packed_group_bytes(const WeightView& packed);

// Writes rows 8*group .. 8*group+7 of a kRows8 weight back in the GGUF block layout, tightly
// packed (8 * row bytes) at `out`.
void unpack_rows8(const WeightView& packed, int64_t group, uint8_t* out);

}  // namespace dsinfer::kernels
