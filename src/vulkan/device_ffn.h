// The feed-forward networks of the device models: the SiLU-gated FFN (llama / qwen2 layers,
// deepseek2's leading dense layers and shared experts) and deepseek2's mixture of experts, as
// model/ffn.h and model/deepseek2_moe.h on the CPU.
#pragma once

#include <cstdint>
#include <string>

#include "model/deepseek2_moe.h"
#include "model/ffn.h"
#include "vulkan/command_recorder.h"
#include "vulkan/device_weight.h"
#include "vulkan/ops_moe.h"
#include "vulkan/upload_list.h"

namespace dsinfer::vulkan {

struct DeviceFfn {
  DeviceWeight gate, up, down;  // absent: never bound (no buffer)
  bool present() const { return gate.buffer.size() > 0; }
};

// Binds w (host views) into `uploads` with destination `dst`; names "<prefix>gate" etc.
void bind_ffn(UploadList& uploads, DeviceFfn& dst, const model::FfnWeights& w,
              const std::string& prefix);

// out = down( silu(gate x) * up x ) over n_rows rows. x: [n_rows, gate.n_in]; gate and up:
// scratch of [n_rows, gate.n_out] each (row stride gate.n_out); out: [n_rows, down.n_out].
void record_ffn(CommandRecorder& rec, const DeviceFfn& w, const FloatRows& x, int64_t n_rows,
                const FloatRows& gate, const FloatRows& up, const FloatRows& out);

struct DeviceMoe {
  DeviceWeight router;  // [n_embd -> n_expert]
  DeviceBuffer bias;    // selection bias (sigmoid gating), empty when absent
  DeviceFfn experts;    // stacked: n_expert matrices each
  DeviceFfn shared;     // absent when the model has no shared experts
};

// Binds a MoE layer's weights.
void bind_moe(UploadList& uploads, DeviceMoe& dst, const model::MoeWeights& w,
              const std::string& prefix);

// The routing settings on the device; Error(kUnsupported) beyond the shader's limits (<= 256
// experts, <= 32 groups).
DeviceMoeRouting device_routing(const model::MoeRouting& r, const std::string& path);

// Scratch buffers of record_moe for n_rows rows (k = experts per token; widths as the weights).
struct MoeBuffers {
  FloatRows logits;          // [n_rows, n_expert]
  BufferSlice ids, weights;  // [n_rows * k] int32 / float
  FloatRows gate, up;        // [n_rows * k, n_ff_exp]
  FloatRows expert_out;      // [n_rows * k, n_embd]
  FloatRows sh_gate, sh_up;  // [n_rows, n_ff_shared]
  FloatRows shared_out;      // [n_rows, n_embd]
};
// Floats of MoeBuffers per row.
int64_t moe_floats_per_row(const DeviceMoe& w, int64_t k);

// out[r] = sum_j weight[r][j] expert_{id[r][j]}(x[r]) (in selection order) + shared(x[r]), as
// model::moe_ffn: router matmul, routing, every chosen expert's gate/up as one grouped matmul
// per projection over the (token, slot) pairs, SiLU gating, down, weighted combination.
void record_moe(CommandRecorder& rec, const DeviceMoe& w, const DeviceMoeRouting& r,
                const FloatRows& x, int64_t n_rows, const MoeBuffers& s, const FloatRows& out);

}  // namespace dsinfer::vulkan
