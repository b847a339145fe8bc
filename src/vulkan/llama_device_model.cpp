// llama / qwen2 on a Vulkan device: upload at load, one command buffer per forward step.
#include "vulkan/llama_device_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "model/embedding.h"
#include "model/kv_block_pool.h"
#include "model/model_info.h"
#include "model/weight_binder.h"
#include "tensor/quantize.h"
#include "vulkan/ops_attention.h"
#include "vulkan/ops_layer.h"
#include "vulkan/ops_matmul.h"

namespace dsinfer::vulkan {
namespace {

int64_t view_bytes(const kernels::WeightView& w) {
  return w.data == nullptr ? 0 : static_cast<int64_t>(w.row_stride) * w.n_out;
}

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

DeviceBuffer floats_to_device(VulkanDevice& dev, const std::vector<float>& v,
                              const std::string& what) {
  DeviceBuffer b(dev, v.size() * sizeof(float), what);
  upload(b, 0, v.data(), v.size() * sizeof(float));
  return b;
}

FloatRows rows(const DeviceBuffer& b, int64_t ld, int64_t offset = 0) {
  return {whole(b), offset, ld};
}

// The host's view of one layer's weights before upload (pointers into the mapped file).
struct HostLayer {
  kernels::WeightView wq, wk, wv, wo, gate, up, down;
  std::vector<float> attn_norm, ffn_norm, bq, bk, bv;
};

}  // namespace

LlamaDeviceModel::LlamaDeviceModel(std::shared_ptr<const gguf::GgufFile> file,
                                   const std::string& arch, const model::ModelOptions& options,
                                   kernels::ExecContext& ctx, const DeviceModelOptions& device)
    : file_(std::move(file)), ctx_(ctx), hp_(model::read_transformer_hparams(*file_, arch)) {
  if (options.kv_block_size <= 0) {
    fail(ErrorKind::kInvalidInput, "KV block size {} must be > 0", options.kv_block_size);
  }
  // As model::LlamaModel: adjacent pairs for llama, halves (NeoX) for qwen2.
  rope_ = model::make_rope_config(
      hp_.rope, arch == "qwen2" ? kernels::RopeLayout::kNeox : kernels::RopeLayout::kNormal);
  ctx_size_ = options.ctx_size > 0 ? options.ctx_size : hp_.n_ctx_train;
  block_size_ = options.kv_block_size;
  n_blocks_ =
      options.kv_blocks > 0 ? options.kv_blocks : (ctx_size_ + block_size_ - 1) / block_size_;

  instance_ = std::make_unique<VulkanInstance>(InstanceOptions{device.validation});
  device_ = std::make_unique<VulkanDevice>(*instance_, device.device_index);
  pipelines_ = std::make_unique<PipelineSet>(*device_);
  recorder_ = std::make_unique<CommandRecorder>(*pipelines_);

  step_rows_ = std::max<int64_t>(options.max_step_tokens, 1);
  bind_and_upload(arch);
  act_ = make_activations(step_rows_);
  spdlog::info("vulkan: {} on device {} ({}): {:.1f} MiB of {:.1f} MiB device memory in use",
               info_.name, device_->info().index, device_->info().name,
               mib(static_cast<int64_t>(device_->memory_used_bytes())),
               mib(static_cast<int64_t>(device_->memory_total_bytes())));
}

LlamaDeviceModel::~LlamaDeviceModel() = default;

void LlamaDeviceModel::bind_and_upload(const std::string& arch) {
  const model::WeightBinder b(*file_);
  const int64_t n_embd = hp_.n_embd;
  const int64_t q_dim = hp_.n_head * hp_.head_dim_k;
  const int64_t k_dim = hp_.n_head_kv * hp_.head_dim_k;
  const int64_t v_dim = hp_.n_head_kv * hp_.head_dim_v;
  const int64_t o_dim = hp_.n_head * hp_.head_dim_v;

  // Bind (and check) everything first, so a bad file fails before any upload.
  const gguf::TensorInfo& emb = b.tensor("token_embd.weight", {n_embd, hp_.n_vocab});
  tensor::require_dequantizable(emb.type);
  token_embd_ = {emb.type, emb.data, n_embd, hp_.n_vocab,
                 tensor::row_bytes(tensor::dtype_info(emb.type), n_embd)};
  const std::vector<float> output_norm = b.vector("output_norm.weight", n_embd);
  kernels::WeightView output = b.matrix_opt("output.weight", n_embd, hp_.n_vocab);
  if (output.data == nullptr) output = b.matrix("token_embd.weight", n_embd, hp_.n_vocab);
  std::vector<HostLayer> host(static_cast<size_t>(hp_.n_layer));
  int64_t weight_bytes = view_bytes(output) + n_embd * 4;
  int64_t layer_matrix_bytes = 0;
  for (int64_t i = 0; i < hp_.n_layer; ++i) {
    HostLayer& l = host[static_cast<size_t>(i)];
    using model::layer_tensor;
    l.attn_norm = b.vector(layer_tensor(i, "attn_norm.weight"), n_embd);
    l.wq = b.matrix(layer_tensor(i, "attn_q.weight"), n_embd, q_dim);
    l.wk = b.matrix(layer_tensor(i, "attn_k.weight"), n_embd, k_dim);
    l.wv = b.matrix(layer_tensor(i, "attn_v.weight"), n_embd, v_dim);
    l.wo = b.matrix(layer_tensor(i, "attn_output.weight"), o_dim, n_embd);
    l.bq = b.vector_opt(layer_tensor(i, "attn_q.bias"), q_dim);
    l.bk = b.vector_opt(layer_tensor(i, "attn_k.bias"), k_dim);
    l.bv = b.vector_opt(layer_tensor(i, "attn_v.bias"), v_dim);
    l.ffn_norm = b.vector(layer_tensor(i, "ffn_norm.weight"), n_embd);
    l.gate = b.matrix(layer_tensor(i, "ffn_gate.weight"), n_embd, hp_.n_ff);
    l.up = b.matrix(layer_tensor(i, "ffn_up.weight"), n_embd, hp_.n_ff);
    l.down = b.matrix(layer_tensor(i, "ffn_down.weight"), hp_.n_ff, n_embd);
    for (const auto* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down}) {
      layer_matrix_bytes += view_bytes(*w);
    }
    weight_bytes += static_cast<int64_t>(
        (l.attn_norm.size() + l.ffn_norm.size() + l.bq.size() + l.bk.size() + l.bv.size()) * 4);
  }
  weight_bytes += layer_matrix_bytes;

  // The KV pool: per layer one K and one V buffer of n_blocks x block_size rows (F16), each
  // one storage binding.
  const int64_t kv_layer_k = n_blocks_ * block_size_ * k_dim * 2;
  const int64_t kv_layer_v = n_blocks_ * block_size_ * v_dim * 2;
  if (static_cast<uint64_t>(std::max(kv_layer_k, kv_layer_v)) > device_->max_storage_range()) {
    fail(ErrorKind::kUnsupported,
         "{}: one layer's KV pool ({} blocks x {} tokens) is {:.1f} MiB; Vulkan device {} binds "
         "at most {:.1f} MiB per buffer: lower --kv-cache-mem",
         file_->path(), n_blocks_, block_size_, mib(std::max(kv_layer_k, kv_layer_v)),
         device_->info().name, mib(static_cast<int64_t>(device_->max_storage_range())));
  }
  const int64_t kv_bytes = hp_.n_layer * (kv_layer_k + kv_layer_v);
  const int64_t act_bytes = activation_bytes(step_rows_);
  device_->require_fits(
      static_cast<uint64_t>(weight_bytes + kv_bytes + act_bytes),
      fmt::format("model {} ({:.1f} MiB weights + {:.1f} MiB KV pool of {} blocks x {} tokens + "
                  "{:.1f} MiB activations for {} tokens per step)",
                  file_->path(), mib(weight_bytes), mib(kv_bytes), n_blocks_, block_size_,
                  mib(act_bytes), step_rows_));

  VulkanDevice& dev = *device_;
  layers_.resize(host.size());
  for (size_t i = 0; i < host.size(); ++i) {
    const HostLayer& h = host[i];
    Layer& l = layers_[i];
    const std::string at = fmt::format("blk.{}.", i);
    l.attn_norm = floats_to_device(dev, h.attn_norm, at + "attn_norm");
    l.ffn_norm = floats_to_device(dev, h.ffn_norm, at + "ffn_norm");
    l.wq = upload_weight(dev, h.wq, at + "attn_q");
    l.wk = upload_weight(dev, h.wk, at + "attn_k");
    l.wv = upload_weight(dev, h.wv, at + "attn_v");
    l.wo = upload_weight(dev, h.wo, at + "attn_output");
    l.gate = upload_weight(dev, h.gate, at + "ffn_gate");
    l.up = upload_weight(dev, h.up, at + "ffn_up");
    l.down = upload_weight(dev, h.down, at + "ffn_down");
    if (!h.bq.empty()) l.bq = floats_to_device(dev, h.bq, at + "attn_q.bias");
    if (!h.bk.empty()) l.bk = floats_to_device(dev, h.bk, at + "attn_k.bias");
    if (!h.bv.empty()) l.bv = floats_to_device(dev, h.bv, at + "attn_v.bias");
    l.k_pool = DeviceBuffer(dev, static_cast<size_t>(kv_layer_k), at + "KV pool (K)");
    l.v_pool = DeviceBuffer(dev, static_cast<size_t>(kv_layer_v), at + "KV pool (V)");
  }
  output_norm_ = floats_to_device(dev, output_norm, "output_norm");
  output_ = upload_weight(dev, output, "output");

  info_ = model::describe_model(*file_, arch);
  info_.n_vocab = hp_.n_vocab;
  info_.n_ctx_train = hp_.n_ctx_train;
  info_.kv_bytes_per_token = model::KvBlockPool::bytes_per_token_for(hp_.n_layer, k_dim, v_dim);
  info_.weight_bytes_per_token = layer_matrix_bytes + view_bytes(output);
}

int64_t LlamaDeviceModel::activation_bytes(int64_t n) const {
  const int64_t per_row = 4 * hp_.n_embd + hp_.n_head * hp_.head_dim_k +
                          hp_.n_head_kv * (hp_.head_dim_k + hp_.head_dim_v) +
                          hp_.n_head * hp_.head_dim_v + 2 * hp_.n_ff + hp_.n_vocab;
  return n * per_row * static_cast<int64_t>(sizeof(float));
}

LlamaDeviceModel::Activations LlamaDeviceModel::make_activations(int64_t n) {
  VulkanDevice& dev = *device_;
  auto floats = [&](int64_t count, const char* what) {
    return DeviceBuffer(dev, static_cast<size_t>(count) * sizeof(float), what);
  };
  Activations a;
  a.rows = n;
  a.x = floats(n * hp_.n_embd, "residual stream");
  a.h = floats(n * hp_.n_embd, "block input");
  a.q = floats(n * hp_.n_head * hp_.head_dim_k, "attention q");
  a.k = floats(n * hp_.n_head_kv * hp_.head_dim_k, "attention k");
  a.v = floats(n * hp_.n_head_kv * hp_.head_dim_v, "attention v");
  a.att = floats(n * hp_.n_head * hp_.head_dim_v, "attention output");
  a.proj = floats(n * hp_.n_embd, "block output");
  a.gate = floats(n * hp_.n_ff, "ffn gate");
  a.up = floats(n * hp_.n_ff, "ffn up");
  a.gathered = floats(n * hp_.n_embd, "output head rows");
  a.logits =
      DeviceBuffer(dev, static_cast<size_t>(n * hp_.n_vocab) * sizeof(float), "logits", true);
  return a;
}

void LlamaDeviceModel::check_validation(const char* when) const {
  if (!instance_->validating()) return;
  const auto messages = instance_->validation_messages();
  if (messages.empty()) return;
  instance_->clear_validation_messages();
  fail(ErrorKind::kInternal, "Vulkan validation ({}): {} message(s), first: {}", when,
       messages.size(), messages.front());
}

// NOTE: the step, as model::DecoderModel::forward with LlamaModel's hooks, over all n token rows
// at once, recorded into one command buffer:
//   x = embedding rows (gathered on the host, copied in)
//   per layer:  h = rms_norm(x) * attn_norm; q,k,v = h W (+ bias); rope(q, k); store k, v;
//               att = attention(q, paged KV); x += att W_o
//               h = rms_norm(x) * ffn_norm;  x += (silu(h W_gate) * h W_up) W_down
//   logits = rms_norm(x[logit rows]) * output_norm W_out   (into host-visible memory)
model::Logits LlamaDeviceModel::forward(const model::Batch& batch) {
  const model::BatchPlan plan =
      model::plan_batch(batch, {hp_.n_vocab, ctx_size_, block_size_, n_blocks_});
  const int64_t n = plan.n_tokens;
  const int64_t n_embd = hp_.n_embd;
  const int64_t q_dim = hp_.n_head * hp_.head_dim_k;
  const int64_t k_dim = hp_.n_head_kv * hp_.head_dim_k;
  const int64_t v_dim = hp_.n_head_kv * hp_.head_dim_v;
  const int64_t o_dim = hp_.n_head * hp_.head_dim_v;
  if (n > act_.rows) {
    const int64_t rows = std::max(n, 2 * act_.rows);
    act_ = Activations{};  // release first: the old and new need not fit together
    act_ = make_activations(rows);
  }
  const Activations& a = act_;

  embedded_.resize(static_cast<size_t>(n * n_embd));
  model::embed_tokens(token_embd_, plan.tokens.data(), n, embedded_.data(), n_embd, ctx_);
  std::vector<int64_t> k_rows(static_cast<size_t>(n)), v_rows(static_cast<size_t>(n));
  for (size_t r = 0; r < k_rows.size(); ++r) {
    const int64_t slot = plan.kv_block[r] * block_size_ + plan.kv_slot[r];
    k_rows[r] = slot * k_dim;
    v_rows[r] = slot * v_dim;
  }
  std::vector<DeviceAttentionTask> tasks;
  tasks.reserve(batch.sequences.size());
  for (size_t s = 0; s < batch.sequences.size(); ++s) {
    const model::BatchSequence& seq = batch.sequences[s];
    tasks.push_back({plan.first_token[s], static_cast<int64_t>(seq.tokens.size()), seq.start_pos,
                     seq.block_table});
  }
  kernels::AttentionDims dims;
  dims.n_head = hp_.n_head;
  dims.n_head_kv = hp_.n_head_kv;
  dims.head_dim_k = hp_.head_dim_k;
  dims.head_dim_v = hp_.head_dim_v;
  dims.scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim_k));
  const float eps = hp_.rms_eps;

  CommandRecorder& rec = *recorder_;
  rec.begin();
  const BufferSlice staged = rec.stage(embedded_.data(), embedded_.size() * sizeof(float));
  rec.copy({staged.buffer, staged.offset, embedded_.size() * sizeof(float)}, whole(a.x));
  for (const Layer& l : layers_) {
    rms_norm(rec, rows(a.x, n_embd), n, n_embd, whole(l.attn_norm), eps, rows(a.h, n_embd));
    matmul(rec, l.wq, rows(a.h, n_embd), n, rows(a.q, q_dim));
    matmul(rec, l.wk, rows(a.h, n_embd), n, rows(a.k, k_dim));
    matmul(rec, l.wv, rows(a.h, n_embd), n, rows(a.v, v_dim));
    if (l.bq.size() > 0) add_bias(rec, rows(a.q, q_dim), whole(l.bq), n, q_dim);
    if (l.bk.size() > 0) add_bias(rec, rows(a.k, k_dim), whole(l.bk), n, k_dim);
    if (l.bv.size() > 0) add_bias(rec, rows(a.v, v_dim), whole(l.bv), n, v_dim);
    rope(rec, rope_, rows(a.q, q_dim), n, plan.positions.data(), hp_.n_head, hp_.head_dim_k);
    rope(rec, rope_, rows(a.k, k_dim), n, plan.positions.data(), hp_.n_head_kv, hp_.head_dim_k);
    kv_store(rec, rows(a.k, k_dim), n, k_dim, whole(l.k_pool), k_rows);
    kv_store(rec, rows(a.v, v_dim), n, v_dim, whole(l.v_pool), v_rows);
    const DeviceKv kv{whole(l.k_pool),     whole(l.v_pool), block_size_, block_size_ * k_dim,
                      block_size_ * v_dim, k_dim,           v_dim};
    attention_paged(rec, dims, kv, rows(a.q, q_dim), rows(a.att, o_dim), n, tasks);
    matmul(rec, l.wo, rows(a.att, o_dim), n, rows(a.proj, n_embd));
    add(rec, rows(a.x, n_embd), rows(a.proj, n_embd), n, n_embd);

    rms_norm(rec, rows(a.x, n_embd), n, n_embd, whole(l.ffn_norm), eps, rows(a.h, n_embd));
    matmul(rec, l.gate, rows(a.h, n_embd), n, rows(a.gate, hp_.n_ff));
    matmul(rec, l.up, rows(a.h, n_embd), n, rows(a.up, hp_.n_ff));
    silu_mul(rec, rows(a.gate, hp_.n_ff), rows(a.up, hp_.n_ff), rows(a.gate, hp_.n_ff), n,
             hp_.n_ff);
    matmul(rec, l.down, rows(a.gate, hp_.n_ff), n, rows(a.proj, n_embd));
    add(rec, rows(a.x, n_embd), rows(a.proj, n_embd), n, n_embd);
  }
  // The rows that want logits, normalised into `gathered` run by run (each sequence's are
  // consecutive), then one output matmul over them.
  const std::vector<int64_t>& want = plan.logit_rows;
  int64_t g = 0;
  for (size_t i = 0; i < want.size();) {
    size_t j = i + 1;
    while (j < want.size() && want[j] == want[j - 1] + 1) ++j;
    const auto run = static_cast<int64_t>(j - i);
    rms_norm(rec, rows(a.x, n_embd, want[i] * n_embd), run, n_embd, whole(output_norm_), eps,
             rows(a.gathered, n_embd, g * n_embd));
    g += run;
    i = j;
  }
  matmul(rec, output_, rows(a.gathered, n_embd), g, rows(a.logits, hp_.n_vocab));
  rec.submit_and_wait();
  check_validation("forward step");

  model::Logits logits;
  model::init_logits_layout(batch, hp_.n_vocab, logits);
  logits.data.resize(static_cast<size_t>(g * hp_.n_vocab));
  std::memcpy(logits.data.data(), a.logits.mapped(), logits.data.size() * sizeof(float));
  return logits;
}

model::DeviceStatus LlamaDeviceModel::device_status() const {
  model::DeviceStatus s;
  s.type = "vulkan";
  s.index = device_->info().index;
  s.name = device_->info().name;
  s.driver = device_->info().driver;
  s.memory_used_bytes = static_cast<int64_t>(device_->memory_used_bytes());
  s.memory_total_bytes = static_cast<int64_t>(device_->memory_total_bytes());
  return s;
}

}  // namespace dsinfer::vulkan
