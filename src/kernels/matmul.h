// Weight x activation products for a batch of rows, for every supported weight type.
// One code path serves decode (1 row) and prefill (many rows); each weight row is read once
// per call, whatever the number of activation rows.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/exec_context.h"
#include "kernels/isa.h"
#include "tensor/dtype.h"

namespace dsinfer::kernels {

// How a weight's bytes are arranged.
enum class WeightLayout {
  kRows,   // GGUF: n_out rows, each row contiguous (row_stride apart)
  kRows8,  // groups of 8 rows interleaved (kernels/weight_pack.h; types with a Rows8Codec)
};

// A 2-D weight: n_out rows of n_in elements in `type` (GGUF shape [n_in, n_out]). `data` points
// into the mapped file, or at a one-time repack (weight_pack.h).
struct WeightView {
  tensor::DType type = tensor::DType::kF32;
  const void* data = nullptr;
  int64_t n_in = 0;
  int64_t n_out = 0;
  size_t row_stride = 0;  // kRows: bytes between rows, 0 = tightly packed; kRows8: row size
  WeightLayout layout = WeightLayout::kRows;
};

// y[r][o] = sum_i w[o][i] * x[r][i]   for r < n_rows, o < w.n_out.
// x: [n_rows, n_in] float, row stride ldx floats; y: [n_rows, n_out] float, row stride ldy.
// Supported types: the rows of kernels/weight_types.h (matmul_types_text()); others throw
// Error(kUnsupported). Quantised types quantise x on the fly to 8-bit blocks (as the reference
// implementation does) and use integer dot products. Work is split over `ctx`'s threads by output
// rows. Calls from one thread at a time per context (each one-thread view is its own context).
void matmul(const WeightView& w, const float* x, int64_t ldx, int64_t n_rows, float* y, int64_t ldy,
            ExecContext& ctx);

// One product of matmul_multi(): y = w x, y with row stride ldy. By default over every row of
// the call's x; with x_rows >= 0 over rows [x_row, x_row + x_rows) of it only, y[0] being the
// result of row x_row (the experts of a MoE layer each take their own rows of one gathered x).
struct MatmulTarget {
  WeightView w;
  float* y = nullptr;
  int64_t ldy = 0;
  int64_t x_row = 0;
  int64_t x_rows = -1;
};

// Several weights applied to the same activations x (each target's n_in is the row length it
// reads of x): as one matmul() per target, but with a single hand-off to the threads (they share
// out all targets' output rows together, by weight bytes) and x prepared once per activation
// format and row length. Used for Q/K/V, for gate/up, and for all experts of a MoE layer at once,
// where it saves the threads' wake-ups and lets them balance the whole layer's weights.
void matmul_multi(std::span<const MatmulTarget> targets, const float* x, int64_t ldx,
                  int64_t n_rows, ExecContext& ctx);
Isa matmul_multi_with_isa(Isa isa, std::span<const MatmulTarget> targets, const float* x,
                          int64_t ldx, int64_t n_rows, ExecContext& ctx);

// matmul() with a chosen ISA variant instead of selected_isa() (tests and benchmarks compare the
// variants). Throws Error(kUnsupported) when this CPU/build cannot run `isa`. Returns the variant
// that actually ran (always `isa`).
Isa matmul_with_isa(Isa isa, const WeightView& w, const float* x, int64_t ldx, int64_t n_rows,
                    float* y, int64_t ldy, ExecContext& ctx);

// Number of matmul() calls made in this process, per weight data pointer: tests use it to check
// that a forward pass reads every weight once per batch. Counting is off unless enabled.
void matmul_counting_enable(bool on);
uint64_t matmul_call_count(const void* weight_data);
void matmul_call_counts_reset();

}  // namespace dsinfer::kernels
