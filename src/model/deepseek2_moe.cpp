// deepseek2 MoE: routing and expert-grouped evaluation.
#include "model/deepseek2_moe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "base/error.h"
#include "kernels/activation.h"
#include "kernels/softmax.h"
#include "tensor/quantize.h"

namespace dsinfer::model {

std::vector<kernels::WeightView> bind_slices(const WeightBinder& b, const std::string& name,
                                             int64_t n_in, int64_t n_out, int64_t n_expert) {
  const gguf::TensorInfo& t = b.tensor(name, {n_in, n_out, n_expert});
  require_matmul_type(b.file(), name, t.type);
  const auto& info = tensor::dtype_info(t.type);
  if (n_in % info.block_size != 0) {
    fail(ErrorKind::kBadFile, "{}: tensor '{}' row length {} is not a multiple of block size {}",
         b.file().path(), name, n_in, info.block_size);
  }
  const size_t row = tensor::row_bytes(info, n_in);
  const size_t slice = row * static_cast<size_t>(n_out);
  if (t.n_bytes < slice * static_cast<size_t>(n_expert)) {
    fail(ErrorKind::kBadFile, "{}: tensor '{}' holds {} bytes, expected {}", b.file().path(), name,
         t.n_bytes, slice * static_cast<size_t>(n_expert));
  }
  std::vector<kernels::WeightView> out(static_cast<size_t>(n_expert));
  for (int64_t e = 0; e < n_expert; ++e) {
    auto& w = out[static_cast<size_t>(e)];
    w.type = t.type;
    w.data = static_cast<const uint8_t*>(t.data) + slice * static_cast<size_t>(e);
    w.n_in = n_in;
    w.n_out = n_out;
    w.row_stride = row;
  }
  return out;
}

MoeRouting make_moe_routing(const Deepseek2Hparams& hp) {
  MoeRouting r;
  r.n_expert = hp.n_expert;
  r.n_used = hp.n_expert_used;
  r.gating = hp.gating;
  r.n_groups = hp.n_expert_groups;
  r.n_groups_used = hp.n_expert_groups_used;
  r.norm = hp.expert_weights_norm;
  r.scale = hp.expert_weights_scale;
  return r;
}

MoeWeights bind_moe_weights(const WeightBinder& b, const Deepseek2Hparams& hp, int64_t layer) {
  const int64_t n_embd = hp.base.n_embd;
  const int64_t n_ff = hp.n_ff_exp;
  const int64_t n_exp = hp.n_expert;
  MoeWeights w;
  w.router = b.matrix(layer_tensor(layer, "ffn_gate_inp.weight"), n_embd, n_exp);
  w.selection_bias = b.vector_opt(layer_tensor(layer, "exp_probs_b.bias"), n_exp);
  if (hp.gating == ExpertGating::kSigmoid && w.selection_bias.empty()) {
    w.selection_bias = b.vector_opt(layer_tensor(layer, "exp_probs_b"), n_exp);
  }
  const auto gate =
      bind_slices(b, layer_tensor(layer, "ffn_gate_exps.weight"), n_embd, n_ff, n_exp);
  const auto up = bind_slices(b, layer_tensor(layer, "ffn_up_exps.weight"), n_embd, n_ff, n_exp);
  const auto down =
      bind_slices(b, layer_tensor(layer, "ffn_down_exps.weight"), n_ff, n_embd, n_exp);
  w.experts.resize(static_cast<size_t>(n_exp));
  for (size_t e = 0; e < w.experts.size(); ++e) w.experts[e] = {gate[e], up[e], down[e]};
  if (hp.n_expert_shared > 0) {
    const int64_t n_sh = n_ff * hp.n_expert_shared;
    w.shared.gate = b.matrix(layer_tensor(layer, "ffn_gate_shexp.weight"), n_embd, n_sh);
    w.shared.up = b.matrix(layer_tensor(layer, "ffn_up_shexp.weight"), n_embd, n_sh);
    w.shared.down = b.matrix(layer_tensor(layer, "ffn_down_shexp.weight"), n_sh, n_embd);
  }
  return w;
}

// NOTE: group-limited routing (DeepSeek-V3): experts form n_groups equal groups; a group's score
// is the sum of its two best selection scores; only the n_groups_used best groups stay eligible
// (the others' scores become -inf) before the top-k over experts. Ties keep the lower index.
void moe_select(const MoeRouting& r, const std::vector<float>& bias, const float* logits,
                int64_t n_rows, MoeSelection& out) {
  const int64_t ne = r.n_expert;
  const int64_t k = r.n_used;
  out.expert.assign(static_cast<size_t>(n_rows * k), 0);
  out.weight.assign(static_cast<size_t>(n_rows * k), 0.0f);
  std::vector<float> probs(static_cast<size_t>(ne));
  std::vector<float> sel(static_cast<size_t>(ne));
  std::vector<int32_t> order(static_cast<size_t>(ne));
  const int64_t per_group = ne / r.n_groups;
  std::vector<float> group_score(static_cast<size_t>(r.n_groups));
  std::vector<int32_t> group_order(static_cast<size_t>(r.n_groups));
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  for (int64_t row = 0; row < n_rows; ++row) {
    std::copy(logits + row * ne, logits + (row + 1) * ne, probs.begin());
    if (r.gating == ExpertGating::kSoftmax) {
      kernels::softmax_inplace(probs.data(), ne);
    } else {
      for (auto& p : probs) p = 1.0f / (1.0f + std::exp(-p));
    }
    for (int64_t e = 0; e < ne; ++e) {
      sel[static_cast<size_t>(e)] =
          probs[static_cast<size_t>(e)] + (bias.empty() ? 0.0f : bias[static_cast<size_t>(e)]);
    }
    if (r.n_groups > 1 && r.n_groups_used < r.n_groups) {
      for (int64_t g = 0; g < r.n_groups; ++g) {
        float best = kNegInf;
        float second = kNegInf;
        for (int64_t e = g * per_group; e < (g + 1) * per_group; ++e) {
          const float v = sel[static_cast<size_t>(e)];
          if (v > best) {
            second = best;
            best = v;
          } else if (v > second) {
            second = v;
          }
        }
        group_score[static_cast<size_t>(g)] = per_group >= 2 ? best + second : best;
      }
      std::iota(group_order.begin(), group_order.end(), 0);
      std::stable_sort(group_order.begin(), group_order.end(), [&](int32_t a, int32_t b) {
        return group_score[static_cast<size_t>(a)] > group_score[static_cast<size_t>(b)];
      });
      for (int64_t gi = r.n_groups_used; gi < r.n_groups; ++gi) {
        const int64_t g = group_order[static_cast<size_t>(gi)];
        for (int64_t e = g * per_group; e < (g + 1) * per_group; ++e) {
          sel[static_cast<size_t>(e)] = kNegInf;
        }
      }
    }
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
      const float sa = sel[static_cast<size_t>(a)];
      const float sb = sel[static_cast<size_t>(b)];
      return sa > sb || (sa == sb && a < b);
    });
    float sum = 0.0f;
    for (int64_t j = 0; j < k; ++j) {
      const int32_t e = order[static_cast<size_t>(j)];
      out.expert[static_cast<size_t>(row * k + j)] = e;
      out.weight[static_cast<size_t>(row * k + j)] = probs[static_cast<size_t>(e)];
      sum += probs[static_cast<size_t>(e)];
    }
    for (int64_t j = 0; j < k; ++j) {
      float& w = out.weight[static_cast<size_t>(row * k + j)];
      if (r.norm) w /= sum;
      w *= r.scale;
    }
  }
}

// NOTE: the routed slots (row, k) are sorted by expert (stably, so each expert sees its rows in
// order) and their input rows gathered in that order, followed by the n_rows rows themselves for
// the shared experts. Then one matmul_multi runs every chosen expert's gate and up (each over its
// own stretch of rows: its weights read once per step, whatever the number of rows routed to it)
// together with the shared experts' gate and up, one more every chosen expert's down: the
// threads share out the whole layer's expert weights by bytes in two hand-offs, instead of
// three per expert (small experts in decode left one thread waiting at each). Each result goes
// to its slot; the slots are summed per row in selection order (the reference's order), weighted,
// then the shared experts' output is added.
void moe_ffn(const MoeWeights& w, const MoeRouting& r, const float* x, int64_t ldx, int64_t n_rows,
             float* out, int64_t ldo, MoeScratch& s, kernels::ExecContext& ctx) {
  const int64_t n_embd = w.router.n_in;
  const int64_t ne = r.n_expert;
  const int64_t k = r.n_used;
  const int64_t n_slots = n_rows * k;
  const int64_t n_ff = w.experts.empty() ? 0 : w.experts[0].gate.n_out;
  const bool shared = w.shared.gate.data != nullptr;
  const int64_t n_sh = shared ? w.shared.gate.n_out : 0;
  auto grow = [](std::vector<float>& v, int64_t size) {
    if (v.size() < static_cast<size_t>(size)) v.resize(static_cast<size_t>(size));
  };
  grow(s.logits, n_rows * ne);
  kernels::matmul(w.router, x, ldx, n_rows, s.logits.data(), ne, ctx);
  moe_select(r, w.selection_bias, s.logits.data(), n_rows, s.sel);

  // Slots by expert: expert e's slots are order[first[e] .. first[e + 1]).
  s.first.assign(static_cast<size_t>(ne + 1), 0);
  s.order.resize(static_cast<size_t>(n_slots));
  int64_t* first = s.first.data();
  int64_t* order = s.order.data();
  const int32_t* chosen = s.sel.expert.data();
  for (int64_t i = 0; i < n_slots; ++i) ++first[chosen[i] + 1];
  for (int64_t e = 0; e < ne; ++e) first[e + 1] += first[e];
  s.cursor.assign(s.first.begin(), s.first.end() - 1);
  for (int64_t i = 0; i < n_slots; ++i) order[s.cursor[static_cast<size_t>(chosen[i])]++] = i;

  // gathered: [n_slots + n_rows, n_embd] -> gate, up: [n_slots, n_ff] and sh_gate, sh_up:
  // [n_rows, n_sh]
  const int64_t n_in_rows = n_slots + (shared ? n_rows : 0);
  grow(s.gathered, n_in_rows * n_embd);
  // The gather and, below, the weighting and the sum of the slots run over the pool's threads
  // (at 512 tokens they move ~60 MB per layer; serial, they left the other threads idle).
  const int64_t copy_grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n_embd));
  ctx.parallel_for(n_in_rows, copy_grain, [&](int64_t begin, int64_t end, int /*thread*/) {
    for (int64_t p = begin; p < end; ++p) {
      const float* src = p < n_slots ? x + (order[p] / k) * ldx : x + (p - n_slots) * ldx;
      std::copy(src, src + n_embd, s.gathered.data() + p * n_embd);
    }
  });
  grow(s.ffn.gate, n_slots * n_ff);
  grow(s.ffn.up, n_slots * n_ff);
  grow(s.sh_gate, n_rows * n_sh);
  grow(s.sh_up, n_rows * n_sh);
  s.targets.clear();
  for (int64_t e = 0; e < ne; ++e) {
    const int64_t p0 = first[e];
    const int64_t m = first[e + 1] - p0;
    if (m == 0) continue;
    const FfnWeights& fw = w.experts[static_cast<size_t>(e)];
    s.targets.push_back({fw.gate, s.ffn.gate.data() + p0 * n_ff, n_ff, p0, m});
    s.targets.push_back({fw.up, s.ffn.up.data() + p0 * n_ff, n_ff, p0, m});
  }
  if (shared) {
    s.targets.push_back({w.shared.gate, s.sh_gate.data(), n_sh, n_slots, n_rows});
    s.targets.push_back({w.shared.up, s.sh_up.data(), n_sh, n_slots, n_rows});
  }
  kernels::matmul_multi(s.targets, s.gathered.data(), n_embd, n_in_rows, ctx);

  // silu(gate) * up in place, expert rows then shared rows; small batches inline.
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n_ff));
  ctx.parallel_for(n_in_rows, grain, [&](int64_t begin, int64_t end, int /*thread*/) {
    for (int64_t p = begin; p < end; ++p) {
      if (p < n_slots) {
        float* g = s.ffn.gate.data() + p * n_ff;
        kernels::silu_mul(g, s.ffn.up.data() + p * n_ff, g, n_ff);
      } else {
        float* g = s.sh_gate.data() + (p - n_slots) * n_sh;
        kernels::silu_mul(g, s.sh_up.data() + (p - n_slots) * n_sh, g, n_sh);
      }
    }
  });

  // Down projections: expert_out: [n_slots, n_embd] in expert order, shared_out: [n_rows, n_embd]
  grow(s.expert_out, n_slots * n_embd);
  s.targets.clear();
  for (int64_t e = 0; e < ne; ++e) {
    const int64_t p0 = first[e];
    const int64_t m = first[e + 1] - p0;
    if (m == 0) continue;
    s.targets.push_back(
        {w.experts[static_cast<size_t>(e)].down, s.expert_out.data() + p0 * n_embd, n_embd, p0, m});
  }
  kernels::matmul_multi(s.targets, s.ffn.gate.data(), n_ff, n_slots, ctx);
  if (shared) {
    grow(s.shared_out, n_rows * n_embd);
    kernels::matmul(w.shared.down, s.sh_gate.data(), n_sh, n_rows, s.shared_out.data(), n_embd,
                    ctx);
  }

  grow(s.slot_out, n_slots * n_embd);
  ctx.parallel_for(n_slots, copy_grain, [&](int64_t begin, int64_t end, int /*thread*/) {
    for (int64_t p = begin; p < end; ++p) {
      const int64_t slot = order[p];
      const float wt = s.sel.weight[static_cast<size_t>(slot)];
      const float* src = s.expert_out.data() + p * n_embd;
      float* dst = s.slot_out.data() + slot * n_embd;
      for (int64_t i = 0; i < n_embd; ++i) dst[i] = src[i] * wt;
    }
  });
  ctx.parallel_for(n_rows, copy_grain, [&](int64_t begin, int64_t end, int /*thread*/) {
    for (int64_t row = begin; row < end; ++row) {
      float* o = out + row * ldo;
      const float* slots = s.slot_out.data() + row * k * n_embd;
      std::copy(slots, slots + n_embd, o);
      for (int64_t j = 1; j < k; ++j) kernels::add_inplace(o, slots + j * n_embd, n_embd);
      if (shared) kernels::add_inplace(o, s.shared_out.data() + row * n_embd, n_embd);
    }
  });
}

}  // namespace dsinfer::model
