// Recording of the SiLU-gated FFN and of the mixture of experts.
#include "vulkan/device_ffn.h"

#include "base/error.h"
#include "vulkan/ops_layer.h"
#include "vulkan/ops_matmul.h"

namespace dsinfer::vulkan {

void bind_ffn(UploadList& uploads, DeviceFfn& dst, const model::FfnWeights& w,
              const std::string& prefix) {
  uploads.matrix(&dst.gate, w.gate, prefix + "gate");
  uploads.matrix(&dst.up, w.up, prefix + "up");
  uploads.matrix(&dst.down, w.down, prefix + "down");
}

void record_ffn(CommandRecorder& rec, const DeviceFfn& w, const FloatRows& x, int64_t n_rows,
                const FloatRows& gate, const FloatRows& up, const FloatRows& out) {
  const int64_t n_ff = w.gate.n_out;
  matmul(rec, w.gate, x, n_rows, gate);
  matmul(rec, w.up, x, n_rows, up);
  silu_mul(rec, gate, up, gate, n_rows, n_ff);
  matmul(rec, w.down, gate, n_rows, out);
}

void bind_moe(UploadList& uploads, DeviceMoe& dst, const model::MoeWeights& w,
              const std::string& prefix) {
  uploads.matrix(&dst.router, w.router, prefix + "ffn_gate_inp");
  uploads.floats(&dst.bias, w.selection_bias, prefix + "exp_probs_b");
  std::vector<kernels::WeightView> gate, up, down;
  for (const model::FfnWeights& e : w.experts) {
    gate.push_back(e.gate);
    up.push_back(e.up);
    down.push_back(e.down);
  }
  uploads.stacked(&dst.experts.gate, std::move(gate), prefix + "ffn_gate_exps");
  uploads.stacked(&dst.experts.up, std::move(up), prefix + "ffn_up_exps");
  uploads.stacked(&dst.experts.down, std::move(down), prefix + "ffn_down_exps");
  bind_ffn(uploads, dst.shared, w.shared, prefix + "ffn_shexp.");
}

DeviceMoeRouting device_routing(const model::MoeRouting& r, const std::string& path) {
  if (r.n_expert > 256 || r.n_groups > 32) {
    fail(ErrorKind::kUnsupported,
         "{}: {} experts in {} groups; the Vulkan MoE routing runs at most 256 experts in at "
         "most 32 groups; run it with --device cpu",
         path, r.n_expert, r.n_groups);
  }
  DeviceMoeRouting d;
  d.n_expert = r.n_expert;
  d.n_used = r.n_used;
  d.sigmoid = r.gating == model::ExpertGating::kSigmoid;
  d.n_groups = r.n_groups;
  d.n_groups_used = r.n_groups_used;
  d.norm = r.norm;
  d.scale = r.scale;
  return d;
}

int64_t moe_floats_per_row(const DeviceMoe& w, int64_t k) {
  const int64_t n_embd = w.router.n_in;
  const int64_t n_ff = w.experts.gate.n_out;
  const int64_t n_sh = w.shared.present() ? w.shared.gate.n_out : 0;
  return w.router.n_out + 2 * k + k * (2 * n_ff + n_embd) + 2 * n_sh + n_embd;
}

void record_moe(CommandRecorder& rec, const DeviceMoe& w, const DeviceMoeRouting& r,
                const FloatRows& x, int64_t n_rows, const MoeBuffers& s, const FloatRows& out) {
  const int64_t k = r.n_used;
  const int64_t n_pairs = n_rows * k;
  const int64_t n_ff = w.experts.gate.n_out;
  const int64_t n_embd = w.experts.down.n_out;
  matmul(rec, w.router, x, n_rows, s.logits);
  const BufferSlice bias = w.bias.size() > 0 ? whole(w.bias) : BufferSlice{};
  moe_route(rec, r, s.logits, n_rows, bias, s.ids, s.weights);
  // Pair p = (token p / k, slot p % k): gate/up read token row p / k, down reads pair row p.
  matmul_experts(rec, w.experts.gate, x, s.ids, n_pairs, k, s.gate);
  matmul_experts(rec, w.experts.up, x, s.ids, n_pairs, k, s.up);
  silu_mul(rec, s.gate, s.up, s.gate, n_pairs, n_ff);
  matmul_experts(rec, w.experts.down, s.gate, s.ids, n_pairs, 1, s.expert_out);
  moe_combine(rec, s.expert_out, s.weights, k, out, n_rows, n_embd);
  if (w.shared.present()) {
    record_ffn(rec, w.shared, x, n_rows, s.sh_gate, s.sh_up, s.shared_out);
    add(rec, out, s.shared_out, n_rows, n_embd);
  }
}

}  // namespace dsinfer::vulkan
