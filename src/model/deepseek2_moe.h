// The deepseek2 mixture-of-experts FFN: router, top-k expert selection (softmax or sigmoid
// gating, group-limited routing, normalisation, routed scale), routed experts stored as 3-D GGUF
// tensors, and shared experts. Tokens of a batch are grouped by expert so that each expert's
// weights are read once per batch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/exec_context.h"
#include "kernels/matmul.h"
#include "model/deepseek2_hparams.h"
#include "model/ffn.h"
#include "model/weight_binder.h"

namespace dsinfer::model {

struct MoeWeights {
  kernels::WeightView router;         // ffn_gate_inp [n_embd -> n_expert]
  std::vector<float> selection_bias;  // exp_probs_b (sigmoid gating), empty when absent
  std::vector<FfnWeights> experts;    // per expert: 2-D slices of ffn_{gate,up,down}_exps
  FfnWeights shared;                  // ffn_*_shexp; shared.gate.data == nullptr when absent
};

// Routing settings of a MoE layer (from the hyper-parameters).
struct MoeRouting {
  int64_t n_expert = 0;
  int64_t n_used = 0;
  ExpertGating gating = ExpertGating::kSoftmax;
  int64_t n_groups = 1;
  int64_t n_groups_used = 1;
  bool norm = false;
  float scale = 1.0f;
};

MoeRouting make_moe_routing(const Deepseek2Hparams& hp);

// The n 2-D slices [n_in -> n_out] of a 3-D GGUF tensor [n_in, n_out, n] (experts, or per-head
// up-projections): slice i starts at data + i * n_out * row bytes. Throws like
// WeightBinder::matrix for a missing, mis-shaped or unsupported tensor.
std::vector<kernels::WeightView> bind_slices(const WeightBinder& b, const std::string& name,
                                             int64_t n_in, int64_t n_out, int64_t n);

// Binds layer `layer`'s MoE tensors (checked shapes and types). Throws like WeightBinder.
MoeWeights bind_moe_weights(const WeightBinder& b, const Deepseek2Hparams& hp, int64_t layer);

// Per token: the chosen experts (in selection order) and their weights.
struct MoeSelection {
  std::vector<int32_t> expert;  // [n_rows, n_used]
  std::vector<float> weight;    // [n_rows, n_used]
};

// Chooses experts for each row of router logits [n_rows, n_expert] (contiguous), as the
// reference does: probs = softmax or sigmoid(logits); selection scores = probs (+ bias); with
// groups, only the n_groups_used groups whose two best selection scores sum highest compete;
// top n_used by selection score; weights = probs of the chosen (normalised to sum 1 if norm),
// times scale.
void moe_select(const MoeRouting& r, const std::vector<float>& bias, const float* logits,
                int64_t n_rows, MoeSelection& out);

struct MoeScratch {
  std::vector<float> logits, gathered, expert_out, slot_out, sh_gate, sh_up, shared_out;
  std::vector<int64_t> first, cursor, order;  // slots sorted by expert
  std::vector<kernels::MatmulTarget> targets;
  MoeSelection sel;
  FfnScratch ffn;
};

// out[r] = sum_k w[r][k] * expert_{e[r][k]}(x[r]) + shared(x[r]) for r < n_rows.
// x: [n_rows, n_embd] stride ldx; out: [n_rows, n_embd] stride ldo (may not alias x). Each
// chosen expert runs once over the rows routed to it; all experts' gate/up (with the shared
// experts') share one matmul_multi, their down projections another.
void moe_ffn(const MoeWeights& w, const MoeRouting& r, const float* x, int64_t ldx, int64_t n_rows,
             float* out, int64_t ldo, MoeScratch& scratch, kernels::ExecContext& ctx);

}  // namespace dsinfer::model
