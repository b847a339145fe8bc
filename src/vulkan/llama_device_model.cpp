// llama / qwen2 on a Vulkan device: the layer maths of model::LlamaModel as recorded ops.
#include "vulkan/llama_device_model.h"

#include <cmath>

#include <fmt/format.h>

#include "model/llama_model.h"
#include "vulkan/ops_attention.h"
#include "vulkan/ops_layer.h"
#include "vulkan/ops_matmul.h"

namespace dsinfer::vulkan {

LlamaDeviceModel::LlamaDeviceModel(std::shared_ptr<const gguf::GgufFile> file,
                                   const std::string& arch, const model::ModelOptions& options,
                                   kernels::ExecContext& ctx, const DeviceModelOptions& device)
    : LlamaDeviceModel(file, model::read_transformer_hparams(*file, arch), options, ctx, device) {}

LlamaDeviceModel::LlamaDeviceModel(std::shared_ptr<const gguf::GgufFile> file,
                                   const model::TransformerHparams& hp,
                                   const model::ModelOptions& options, kernels::ExecContext& ctx,
                                   const DeviceModelOptions& device)
    : DeviceDecoder(std::move(file), hp, options, ctx, device),
      hp_(hp),
      // As model::LlamaModel: adjacent pairs for llama, halves (NeoX) for qwen2.
      rope_(model::make_rope_config(hp.rope, hp.arch == "qwen2" ? kernels::RopeLayout::kNeox
                                                                : kernels::RopeLayout::kNormal)) {
  layers_.resize(static_cast<size_t>(hp_.n_layer));
  load({hp_.n_head_kv * hp_.head_dim_k, hp_.n_head_kv * hp_.head_dim_v});
}

void LlamaDeviceModel::bind_layer(const model::WeightBinder& b, int64_t i, UploadList& uploads) {
  const model::LlamaLayerWeights w = model::bind_llama_layer(b, hp_, i);
  Layer& l = layers_[static_cast<size_t>(i)];
  const std::string at = fmt::format("blk.{}.", i);
  uploads.matrix(&l.wq, w.wq, at + "attn_q");
  uploads.matrix(&l.wk, w.wk, at + "attn_k");
  uploads.matrix(&l.wv, w.wv, at + "attn_v");
  uploads.matrix(&l.wo, w.wo, at + "attn_output");
  uploads.floats(&l.bq, w.bq, at + "attn_q.bias");
  uploads.floats(&l.bk, w.bk, at + "attn_k.bias");
  uploads.floats(&l.bv, w.bv, at + "attn_v.bias");
  bind_ffn(uploads, l.ffn, w.ffn, at + "ffn_");
}

int64_t LlamaDeviceModel::layer_weight_bytes_per_token() const {
  int64_t bytes = 0;
  for (const Layer& l : layers_) {
    for (const DeviceWeight* w :
         {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn.gate, &l.ffn.up, &l.ffn.down}) {
      bytes += static_cast<int64_t>(w->buffer.size());
    }
  }
  return bytes;
}

int64_t LlamaDeviceModel::activation_floats_per_row() const {
  return hp_.n_head * hp_.head_dim_k + hp_.n_head_kv * (hp_.head_dim_k + hp_.head_dim_v) +
         hp_.n_head * hp_.head_dim_v + 2 * hp_.n_ff;
}

void LlamaDeviceModel::allocate_activations(size_t part, int64_t n) {
  if (acts_.size() <= part) acts_.resize(part + 1);
  Activations& a = acts_[part];
  a = Activations{};
  if (n == 0) return;
  const auto floats = [&](int64_t count, const char* what) {
    return DeviceBuffer(device(part), static_cast<size_t>(count) * sizeof(float), what);
  };
  a.q = floats(n * hp_.n_head * hp_.head_dim_k, "attention q");
  a.k = floats(n * hp_.n_head_kv * hp_.head_dim_k, "attention k");
  a.v = floats(n * hp_.n_head_kv * hp_.head_dim_v, "attention v");
  a.att = floats(n * hp_.n_head * hp_.head_dim_v, "attention output");
  a.gate = floats(n * hp_.n_ff, "ffn gate");
  a.up = floats(n * hp_.n_ff, "ffn up");
}

// NOTE: as model::LlamaModel::attention: q,k,v = h W (+ bias); rope(q, k); store k, v;
// att = attention(q, paged KV); proj = att W_o.
void LlamaDeviceModel::record_attention(CommandRecorder& rec, int64_t il, const Step& step) {
  const Layer& l = layers_[static_cast<size_t>(il)];
  const Activations& a = acts_[part_of(il)];
  const int64_t n = step.n;
  const int64_t q_dim = hp_.n_head * hp_.head_dim_k;
  const int64_t k_dim = hp_.n_head_kv * hp_.head_dim_k;
  const int64_t v_dim = hp_.n_head_kv * hp_.head_dim_v;
  const int64_t o_dim = hp_.n_head * hp_.head_dim_v;
  const FloatRows q = float_rows(a.q, q_dim);
  const FloatRows k = float_rows(a.k, k_dim);
  const FloatRows v = float_rows(a.v, v_dim);
  matmul(rec, l.wq, h(il), n, q);
  matmul(rec, l.wk, h(il), n, k);
  matmul(rec, l.wv, h(il), n, v);
  if (l.bq.size() > 0) add_bias(rec, q, whole(l.bq), n, q_dim);
  if (l.bk.size() > 0) add_bias(rec, k, whole(l.bk), n, k_dim);
  if (l.bv.size() > 0) add_bias(rec, v, whole(l.bv), n, v_dim);
  const int64_t* positions = step.plan.positions.data();
  rope(rec, rope_, q, n, positions, hp_.n_head, hp_.head_dim_k);
  rope(rec, rope_, k, n, positions, hp_.n_head_kv, hp_.head_dim_k);
  store_kv(rec, il, step, k, &v);
  kernels::AttentionDims dims;
  dims.n_head = hp_.n_head;
  dims.n_head_kv = hp_.n_head_kv;
  dims.head_dim_k = hp_.head_dim_k;
  dims.head_dim_v = hp_.head_dim_v;
  dims.scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim_k));
  attention_paged(rec, dims, kv_layer(il), q, float_rows(a.att, o_dim), n, step.tasks);
  matmul(rec, l.wo, float_rows(a.att, o_dim), n, proj(il));
}

void LlamaDeviceModel::record_ffn(CommandRecorder& rec, int64_t il, const Step& step) {
  const Activations& a = acts_[part_of(il)];
  vulkan::record_ffn(rec, layers_[static_cast<size_t>(il)].ffn, h(il), step.n,
                     float_rows(a.gate, hp_.n_ff), float_rows(a.up, hp_.n_ff), proj(il));
}

}  // namespace dsinfer::vulkan
