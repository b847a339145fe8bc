// llama / qwen2: binding and the layer maths (GQA attention with RoPE, SiLU-gated FFN).
#include "model/llama_model.h"

#include <cmath>

#include "kernels/attention.h"
#include "model/bias.h"

namespace dsinfer::model {

namespace {

ArchitectureFacts read_llama_facts(const gguf::GgufFile& file, const std::string& name) {
  const TransformerHparams hp = read_transformer_hparams(file, name);
  return {KvBlockPool::bytes_per_token_for(hp.n_layer, hp.n_head_kv * hp.head_dim_k,
                                           hp.n_head_kv * hp.head_dim_v),
          hp.n_ctx_train};
}

std::unique_ptr<Model> create_llama(std::shared_ptr<const gguf::GgufFile> file,
                                    const std::string& name, const ModelOptions& options,
                                    kernels::ExecContext& ctx) {
  return std::make_unique<LlamaModel>(std::move(file), name, options, ctx);
}

}  // namespace

const Architecture kLlamaArchitecture{"llama", read_llama_facts, create_llama};
const Architecture kQwen2Architecture{"qwen2", read_llama_facts, create_llama};

LlamaModel::LlamaModel(std::shared_ptr<const gguf::GgufFile> file, const std::string& arch,
                       const ModelOptions& options, kernels::ExecContext& ctx)
    : LlamaModel(file, read_transformer_hparams(*file, arch), options, ctx) {}

LlamaModel::LlamaModel(std::shared_ptr<const gguf::GgufFile> file, const TransformerHparams& hp,
                       const ModelOptions& options, kernels::ExecContext& ctx)
    : DecoderModel(std::move(file), hp, options, ctx),
      hp_(hp),
      // The reference rotates adjacent pairs for llama and halves (NeoX) for qwen2.
      rope_(make_rope_config(hp.rope, hp.arch == "qwen2" ? kernels::RopeLayout::kNeox
                                                         : kernels::RopeLayout::kNormal)) {
  layers_.resize(static_cast<size_t>(hp_.n_layer));
  load({hp_.n_head_kv * hp_.head_dim_k, hp_.n_head_kv * hp_.head_dim_v});
}

LlamaLayerWeights bind_llama_layer(const WeightBinder& b, const TransformerHparams& hp, int64_t i) {
  const int64_t n_embd = hp.n_embd;
  const int64_t q_dim = hp.n_head * hp.head_dim_k;
  const int64_t k_dim = hp.n_head_kv * hp.head_dim_k;
  const int64_t v_dim = hp.n_head_kv * hp.head_dim_v;
  const int64_t o_dim = hp.n_head * hp.head_dim_v;
  LlamaLayerWeights l;
  l.wq = b.matrix(layer_tensor(i, "attn_q.weight"), n_embd, q_dim);
  l.wk = b.matrix(layer_tensor(i, "attn_k.weight"), n_embd, k_dim);
  l.wv = b.matrix(layer_tensor(i, "attn_v.weight"), n_embd, v_dim);
  l.wo = b.matrix(layer_tensor(i, "attn_output.weight"), o_dim, n_embd);
  l.bq = b.vector_opt(layer_tensor(i, "attn_q.bias"), q_dim);
  l.bk = b.vector_opt(layer_tensor(i, "attn_k.bias"), k_dim);
  l.bv = b.vector_opt(layer_tensor(i, "attn_v.bias"), v_dim);
  l.ffn.gate = b.matrix(layer_tensor(i, "ffn_gate.weight"), n_embd, hp.n_ff);
  l.ffn.up = b.matrix(layer_tensor(i, "ffn_up.weight"), n_embd, hp.n_ff);
  l.ffn.down = b.matrix(layer_tensor(i, "ffn_down.weight"), hp.n_ff, n_embd);
  return l;
}

void LlamaModel::bind_layer(const WeightBinder& b, int64_t i) {
  layers_[static_cast<size_t>(i)] = bind_llama_layer(b, hp_, i);
}

void LlamaModel::repack_layers(WeightRepacker& r) {
  for (auto& l : layers_) {
    for (auto* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn.gate, &l.ffn.up, &l.ffn.down}) {
      r.repack(*w);
    }
  }
}

int64_t LlamaModel::layer_weight_bytes_per_token() const {
  int64_t bytes = 0;
  for (const auto& l : layers_) {
    for (const auto* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn.gate, &l.ffn.up, &l.ffn.down}) {
      bytes += weight_bytes(*w);
    }
  }
  return bytes;
}

std::vector<kernels::AttentionTask> LlamaModel::begin_step(const Batch& batch,
                                                           const BatchPlan& plan) {
  const int64_t n = plan.n_tokens;
  const int64_t q_dim = hp_.n_head * hp_.head_dim_k;
  const int64_t o_dim = hp_.n_head * hp_.head_dim_v;
  q_.reserve(ctx(), n * q_dim, "attention q");
  k_.reserve(ctx(), n * hp_.n_head_kv * hp_.head_dim_k, "attention k");
  v_.reserve(ctx(), n * hp_.n_head_kv * hp_.head_dim_v, "attention v");
  attn_.reserve(ctx(), n * o_dim, "attention output");
  return attention_tasks(batch, plan, q_.data(), q_dim, attn_.data(), o_dim);
}

void LlamaModel::attention(int64_t il, const BatchPlan& plan,
                           std::vector<kernels::AttentionTask>& tasks) {
  const LlamaLayerWeights& l = layers_[static_cast<size_t>(il)];
  const int64_t n = plan.n_tokens;
  const int64_t n_embd = hp_.n_embd;
  const int64_t q_dim = hp_.n_head * hp_.head_dim_k;
  const int64_t k_dim = hp_.n_head_kv * hp_.head_dim_k;
  const int64_t v_dim = hp_.n_head_kv * hp_.head_dim_v;
  const int64_t o_dim = hp_.n_head * hp_.head_dim_v;
  const kernels::MatmulTarget qkv[] = {
      {l.wq, q_.data(), q_dim}, {l.wk, k_.data(), k_dim}, {l.wv, v_.data(), v_dim}};
  // cur: [n, n_embd] -> q: [n, n_head * head_dim_k], k: [n, n_head_kv * head_dim_k],
  // v: [n, n_head_kv * head_dim_v]
  kernels::matmul_multi(qkv, cur(), n_embd, n, ctx());
  add_bias_rows(l.bq, q_.data(), q_dim, n);
  add_bias_rows(l.bk, k_.data(), k_dim, n);
  add_bias_rows(l.bv, v_.data(), v_dim, n);
  kernels::rope_rows(rope_, q_.data(), q_dim, n, plan.positions.data(), hp_.n_head, hp_.head_dim_k,
                     ctx());
  kernels::rope_rows(rope_, k_.data(), k_dim, n, plan.positions.data(), hp_.n_head_kv,
                     hp_.head_dim_k, ctx());
  store_kv(il, plan, k_.data(), v_.data());

  kernels::AttentionDims dims;
  dims.n_head = hp_.n_head;
  dims.n_head_kv = hp_.n_head_kv;
  dims.head_dim_k = hp_.head_dim_k;
  dims.head_dim_v = hp_.head_dim_v;
  dims.scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim_k));
  // attn: [n, n_head * head_dim_v] -> proj: [n, n_embd]
  kernels::attention_paged(dims, kv().layer_view(il), tasks.data(), tasks.size(), ctx());
  kernels::matmul(l.wo, attn_.data(), o_dim, n, proj(), n_embd, ctx());
}

void LlamaModel::ffn(int64_t il, int64_t n) {
  const int64_t n_embd = hp_.n_embd;
  // cur: [n, n_embd] -> [n, n_ff] (gate, up) -> proj: [n, n_embd]
  ffn_silu_gated(layers_[static_cast<size_t>(il)].ffn, cur(), n_embd, n, proj(), n_embd,
                 ffn_scratch_, ctx());
}

}  // namespace dsinfer::model
