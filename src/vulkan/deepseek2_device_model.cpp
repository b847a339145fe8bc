// deepseek2 on a Vulkan device: MLA in its absorbed form over the latent cache, and MoE.
#include "vulkan/deepseek2_device_model.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "model/deepseek2_model.h"
#include "vulkan/ops_attention.h"
#include "vulkan/ops_layer.h"
#include "vulkan/ops_matmul.h"

namespace dsinfer::vulkan {

Deepseek2DeviceModel::Deepseek2DeviceModel(std::shared_ptr<const gguf::GgufFile> file,
                                           const model::ModelOptions& options,
                                           kernels::ExecContext& ctx,
                                           const DeviceModelOptions& device)
    : Deepseek2DeviceModel(file, model::read_deepseek2_hparams(*file), options, ctx, device) {}

Deepseek2DeviceModel::Deepseek2DeviceModel(std::shared_ptr<const gguf::GgufFile> file,
                                           const model::Deepseek2Hparams& hp,
                                           const model::ModelOptions& options,
                                           kernels::ExecContext& ctx,
                                           const DeviceModelOptions& device)
    : DeviceDecoder(file, hp.base, options, ctx, device),
      hp_(hp),
      scales_(model::make_deepseek2_scales(hp_)),
      routing_(hp_.n_expert > 0 ? device_routing(model::make_moe_routing(hp_), file->path())
                                : DeviceMoeRouting{}) {
  layers_.resize(static_cast<size_t>(hp_.base.n_layer));
  // One "K" row per token and layer: latent + RoPE key; the values are the latent part of it.
  load({hp_.kv_row_elems(), 0});
}

void Deepseek2DeviceModel::bind_layer(const model::WeightBinder& b, int64_t i,
                                      UploadList& uploads) {
  // The CPU model's binding, either KV up-projection layout (older files' wk_b views point into
  // the F32 transposes in wk_b_owned, kept alive until the upload).
  model::Deepseek2LayerWeights w = model::bind_deepseek2_layer(b, hp_, i);
  Layer& l = layers_[static_cast<size_t>(i)];
  const std::string at = fmt::format("blk.{}.", i);
  uploads.matrix(&l.wq, w.wq, at + "attn_q");
  uploads.matrix(&l.wq_a, w.wq_a, at + "attn_q_a");
  uploads.floats(&l.q_a_norm, w.q_a_norm, at + "attn_q_a_norm");
  uploads.matrix(&l.wq_b, w.wq_b, at + "attn_q_b");
  uploads.matrix(&l.wkv_a, w.wkv_a, at + "attn_kv_a_mqa");
  uploads.floats(&l.kv_a_norm, w.kv_a_norm, at + "attn_kv_a_norm");
  uploads.stacked(&l.wk_b, w.wk_b, at + "attn_k_b");
  uploads.stacked(&l.wv_b, w.wv_b, at + "attn_v_b");
  uploads.matrix(&l.wo, w.wo, at + "attn_output");
  uploads.keep_alive(std::move(w.wk_b_owned));
  if (hp_.is_moe_layer(i)) {
    bind_moe(uploads, l.moe, w.moe, at);
  } else {
    bind_ffn(uploads, l.dense, w.dense, at + "ffn_");
  }
}

int64_t Deepseek2DeviceModel::layer_weight_bytes_per_token() const {
  const auto size = [](const DeviceWeight& w) { return static_cast<int64_t>(w.buffer.size()); };
  int64_t bytes = 0;
  for (const Layer& l : layers_) {
    for (const DeviceWeight* w :
         {&l.wq, &l.wq_a, &l.wq_b, &l.wkv_a, &l.wk_b, &l.wv_b, &l.wo, &l.dense.gate, &l.dense.up,
          &l.dense.down, &l.moe.router, &l.moe.shared.gate, &l.moe.shared.up, &l.moe.shared.down}) {
      bytes += size(*w);
    }
    if (l.moe.experts.present()) {
      const DeviceFfn& e = l.moe.experts;
      bytes += hp_.n_expert_used *
               static_cast<int64_t>(e.gate.expert_bytes + e.up.expert_bytes + e.down.expert_bytes);
    }
  }
  return bytes;
}

int64_t Deepseek2DeviceModel::activation_floats_per_row() const {
  const int64_t nh = hp_.base.n_head;
  int64_t floats = hp_.q_lora_rank + nh * hp_.head_dim_qk() + hp_.kv_row_elems() +
                   nh * (hp_.kv_row_elems() + hp_.kv_lora_rank + hp_.head_dim_v + 1) +
                   2 * hp_.base.n_ff;
  if (hp_.n_expert > 0) {
    const int64_t k = hp_.n_expert_used;
    floats += hp_.n_expert + 2 * k + k * (2 * hp_.n_ff_exp + hp_.base.n_embd) +
              2 * hp_.n_ff_exp * hp_.n_expert_shared + hp_.base.n_embd;
  }
  return floats;
}

void Deepseek2DeviceModel::allocate_activations(size_t part, int64_t n) {
  if (acts_.size() <= part) acts_.resize(part + 1);
  Activations& a = acts_[part];
  a = Activations{};
  if (n == 0) return;
  const auto floats = [&](int64_t count, const char* what) {
    return DeviceBuffer(device(part), static_cast<size_t>(std::max<int64_t>(count, 1)) * 4, what);
  };
  const int64_t nh = hp_.base.n_head;
  const int64_t kvw = hp_.kv_row_elems();
  a.qa = floats(n * hp_.q_lora_rank, "low-rank q");
  // One spare head: the RoPE view of a row's heads starts head_dim_nope floats in.
  a.q = floats((n + 1) * nh * hp_.head_dim_qk(), "attention q");
  a.kv_lat = floats(n * kvw, "KV latent");
  a.q_abs = floats(n * nh * kvw, "absorbed q");
  a.attn_lat = floats(n * nh * hp_.kv_lora_rank, "latent attention output");
  a.attn_v = floats(n * nh * hp_.head_dim_v, "value heads");
  a.gate = floats(n * hp_.base.n_ff, "ffn gate");
  a.up = floats(n * hp_.base.n_ff, "ffn up");
  std::vector<int32_t> ids(static_cast<size_t>(n * nh));
  for (size_t p = 0; p < ids.size(); ++p) ids[p] = static_cast<int32_t>(p % nh);
  a.head_ids = floats(n * nh, "head ids");
  upload(a.head_ids, 0, ids.data(), ids.size() * sizeof(int32_t));
  if (hp_.n_expert == 0) return;
  const int64_t k = hp_.n_expert_used;
  const int64_t n_sh = hp_.n_ff_exp * hp_.n_expert_shared;
  a.moe_logits = floats(n * hp_.n_expert, "router logits");
  a.moe_ids = floats(n * k, "expert ids");
  a.moe_weights = floats(n * k, "expert weights");
  a.moe_gate = floats(n * k * hp_.n_ff_exp, "expert gate");
  a.moe_up = floats(n * k * hp_.n_ff_exp, "expert up");
  a.moe_out = floats(n * k * hp_.base.n_embd, "expert outputs");
  a.sh_gate = floats(n * n_sh, "shared expert gate");
  a.sh_up = floats(n * n_sh, "shared expert up");
  a.sh_out = floats(n * hp_.base.n_embd, "shared expert output");
}

// NOTE: as model::Deepseek2Model::attention (absorbed MLA, prefill and decode alike):
//   q = h W_q (or norm(h W_q_a) W_q_b); kv = h W_kv_a = [latent | rope key]; latent = norm;
//   rope on each query head's rope part and on the key; store kv (one latent row per token);
//   q_abs[t, head] = [q_nope[t, head] W_k_b[head] | q_rope[t, head]]   (one grouped matmul over
//   the (token, head) pairs with the heads' matrices stacked, and a strided copy);
//   attention of every head over the shared latent rows (V = their latent part);
//   v[t, head] = att[t, head] W_v_b[head]   (grouped again);  proj = v W_o.
void Deepseek2DeviceModel::record_attention(CommandRecorder& rec, int64_t il, const Step& step) {
  const Layer& l = layers_[static_cast<size_t>(il)];
  const Activations& a = acts_[part_of(il)];
  const int64_t n = step.n;
  const int64_t nh = hp_.base.n_head;
  const int64_t hk = hp_.head_dim_qk();
  const int64_t nope = hp_.head_dim_nope;
  const int64_t rope_dims = hp_.head_dim_rope;
  const int64_t lora = hp_.kv_lora_rank;
  const int64_t kvw = hp_.kv_row_elems();
  const int64_t vd = hp_.head_dim_v;
  const float eps = hp_.base.rms_eps;
  const int64_t pairs = n * nh;

  const FloatRows q = float_rows(a.q, nh * hk);
  const FloatRows kv = float_rows(a.kv_lat, kvw);
  if (hp_.q_lora_rank > 0) {
    const FloatRows qa = float_rows(a.qa, hp_.q_lora_rank);
    matmul(rec, l.wq_a, h(il), n, qa);
    rms_norm(rec, qa, n, hp_.q_lora_rank, whole(l.q_a_norm), eps, qa);
    matmul(rec, l.wq_b, qa, n, q);
  } else {
    matmul(rec, l.wq, h(il), n, q);
  }
  matmul(rec, l.wkv_a, h(il), n, kv);
  rms_norm(rec, kv, n, lora, whole(l.kv_a_norm), eps, kv);
  const int64_t* positions = step.plan.positions.data();
  rope(rec, scales_.rope, float_rows(a.q, nh * hk, nope), n, positions, nh, hk);
  rope(rec, scales_.rope, float_rows(a.kv_lat, kvw, lora), n, positions, 1, rope_dims);
  store_kv(rec, il, step, kv, nullptr);

  matmul_experts(rec, l.wk_b, float_rows(a.q, hk), whole(a.head_ids), pairs, 1,
                 float_rows(a.q_abs, kvw));
  copy_rows(rec, float_rows(a.q, hk, nope), float_rows(a.q_abs, kvw, lora), pairs, rope_dims);
  kernels::AttentionDims dims;
  dims.n_head = nh;
  dims.n_head_kv = 1;
  dims.head_dim_k = kvw;
  dims.head_dim_v = lora;
  dims.scale = scales_.kq_scale;
  attention_paged(rec, dims, kv_layer(il), float_rows(a.q_abs, nh * kvw),
                  float_rows(a.attn_lat, nh * lora), n, step.tasks);
  matmul_experts(rec, l.wv_b, float_rows(a.attn_lat, lora), whole(a.head_ids), pairs, 1,
                 float_rows(a.attn_v, vd));
  matmul(rec, l.wo, float_rows(a.attn_v, nh * vd), n, proj(il));
}

void Deepseek2DeviceModel::record_ffn(CommandRecorder& rec, int64_t il, const Step& step) {
  const Layer& l = layers_[static_cast<size_t>(il)];
  const Activations& a = acts_[part_of(il)];
  const int64_t n = step.n;
  if (!hp_.is_moe_layer(il)) {
    vulkan::record_ffn(rec, l.dense, h(il), n, float_rows(a.gate, hp_.base.n_ff),
                       float_rows(a.up, hp_.base.n_ff), proj(il));
    return;
  }
  const int64_t n_sh = hp_.n_ff_exp * hp_.n_expert_shared;
  MoeBuffers s;
  s.logits = float_rows(a.moe_logits, hp_.n_expert);
  s.ids = whole(a.moe_ids);
  s.weights = whole(a.moe_weights);
  s.gate = float_rows(a.moe_gate, hp_.n_ff_exp);
  s.up = float_rows(a.moe_up, hp_.n_ff_exp);
  s.expert_out = float_rows(a.moe_out, hp_.base.n_embd);
  s.sh_gate = float_rows(a.sh_gate, n_sh);
  s.sh_up = float_rows(a.sh_up, n_sh);
  s.shared_out = float_rows(a.sh_out, hp_.base.n_embd);
  record_moe(rec, l.moe, routing_, h(il), n, s, proj(il));
}

}  // namespace dsinfer::vulkan
