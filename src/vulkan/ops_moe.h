// MoE on the device: routing (gate probabilities, group-limited top-k, weights) and the
// weighted combination of the experts' outputs. The experts' matmuls are matmul_experts
// (ops_matmul.h).
#pragma once

#include <cstdint>

#include "vulkan/command_recorder.h"

namespace dsinfer::vulkan {

struct DeviceMoeRouting {
  int64_t n_expert = 0;  // <= 256
  int64_t n_used = 0;    // k
  bool sigmoid = false;  // gate: softmax (false) or sigmoid
  int64_t n_groups = 1;  // <= 32
  int64_t n_groups_used = 1;
  bool norm = false;  // normalise the k weights to sum 1
  float scale = 1.0f;
};

// For each of n_tokens rows of router logits [n_tokens, n_expert]: ids [n_tokens, k] (int32) and
// weights [n_tokens, k] (float), as model/deepseek2_moe.cpp's moe_select. bias: n_expert floats
// added to the selection scores, or a null slice.
void moe_route(CommandRecorder& rec, const DeviceMoeRouting& r, const FloatRows& logits,
               int64_t n_tokens, const BufferSlice& bias, const BufferSlice& ids,
               const BufferSlice& weights);

// out[t] = sum_j weights[t k + j] * y[t k + j] over n floats per row, in selection order.
void moe_combine(CommandRecorder& rec, const FloatRows& y, const BufferSlice& weights, int64_t k,
                 const FloatRows& out, int64_t n_tokens, int64_t n);

}  // namespace dsinfer::vulkan
