// The element-wise and per-row ops of a transformer layer on the device: RMSNorm, RoPE (both
// layouts, YaRN), softmax, SiLU gating, residual add. Shapes as their CPU twins in kernels/.
#pragma once

#include <cstdint>

#include "kernels/rope.h"
#include "vulkan/command_recorder.h"

namespace dsinfer::vulkan {

// y[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight (weight: n floats, or null slice for none).
// y may be x.
void rms_norm(CommandRecorder& rec, const FloatRows& x, int64_t n_rows, int64_t n,
              const BufferSlice& weight, float eps, const FloatRows& y);

// Rotates n_heads heads of head_size floats in each row r of x, in place, at position
// positions[r], as kernels::rope_rows does (the cos/sin table is made on the host by
// kernels::rope_cos_sin and staged). config.freq_factors, when set, is read on the host.
void rope(CommandRecorder& rec, const kernels::RopeConfig& config, const FloatRows& x,
          int64_t n_rows, const int64_t* positions, int64_t n_heads, int64_t head_size);

// Softmax of each of n_rows rows of n floats, in place.
void softmax(CommandRecorder& rec, const FloatRows& x, int64_t n_rows, int64_t n);

// out = silu(gate) * up over n_rows rows of n floats; gate, up and out share the row stride
// (their ld fields must agree); out may be gate or up.
void silu_mul(CommandRecorder& rec, const FloatRows& gate, const FloatRows& up,
              const FloatRows& out, int64_t n_rows, int64_t n);

// y += x over n_rows rows of n floats.
void add(CommandRecorder& rec, const FloatRows& y, const FloatRows& x, int64_t n_rows, int64_t n);

// y[r][0, n) = x[r][0, n) for r < n_rows; x and y may be strided views at any element offset
// (e.g. one head's part of each row), and must not overlap.
void copy_rows(CommandRecorder& rec, const FloatRows& x, const FloatRows& y, int64_t n_rows,
               int64_t n);

// y[r] += bias for each of n_rows rows of n floats (bias: n floats), as model::add_bias_rows.
void add_bias(CommandRecorder& rec, const FloatRows& y, const BufferSlice& bias, int64_t n_rows,
              int64_t n);

}  // namespace dsinfer::vulkan
