// Dequantising matmul on the device: weights as stored (device_weight.h) x float activations.
#pragma once

#include <cstdint>

#include "vulkan/command_recorder.h"
#include "vulkan/device_weight.h"

namespace dsinfer::vulkan {

enum class MatmulPath {
  kAuto,  // GEMV up to kGemvMaxRows activation rows, tiled GEMM above
  kGemv,  // 16 threads per output row, 4 outputs and up to 8 activation rows per workgroup
  kGemm,  // 32 x 64 tiles through shared memory
};
constexpr int64_t kGemvMaxRows = 8;

// Records y[r][o] = sum_i w[o][i] * x[r][i] for r < n_rows, o < w.n_out (the first matrix of a
// stacked weight). x: [n_rows, w.n_in], y: [n_rows, w.n_out]. Numerics: each weight element is
// dequantised to float exactly as tensor::dequantize_row does and multiplied with the float
// activation (the CPU kernels instead quantise activations to 8 bits for quantised weights;
// the two agree within the quantisation error of the activations).
void matmul(CommandRecorder& rec, const DeviceWeight& w, const FloatRows& x, int64_t n_rows,
            const FloatRows& y, MatmulPath path = MatmulPath::kAuto);

// MoE grouped experts: for each pair p < n_pairs (token t = p / x_div, slot), y[p] = W[ids[p]]
// x[p / x_div] with W the stacked experts. ids: n_pairs int32 (an id outside [0, n_expert)
// gives a zero row). x_div = k for the gate/up projections (each token's row feeds its k
// experts), 1 for the down projection.
void matmul_experts(CommandRecorder& rec, const DeviceWeight& w, const FloatRows& x,
                    const BufferSlice& ids, int64_t n_pairs, int64_t x_div, const FloatRows& y);

}  // namespace dsinfer::vulkan
