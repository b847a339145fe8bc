// The shared device decoder: binding, fitting and upload at load; forward()'s skeleton.
#include "vulkan/device_decoder.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/error.h"
#include "model/embedding.h"
#include "model/kv_block_pool.h"
#include "model/model_info.h"
#include "tensor/quantize.h"
#include "vulkan/ops_layer.h"
#include "vulkan/ops_matmul.h"

namespace dsinfer::vulkan {
namespace {

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace

DeviceDecoder::DeviceDecoder(std::shared_ptr<const gguf::GgufFile> file,
                             const model::TransformerHparams& shape,
                             const model::ModelOptions& options, kernels::ExecContext& ctx,
                             const DeviceModelOptions& device)
    : file_(std::move(file)), ctx_(ctx), shape_(shape) {
  if (options.kv_block_size <= 0) {
    fail(ErrorKind::kInvalidInput, "KV block size {} must be > 0", options.kv_block_size);
  }
  ctx_size_ = options.ctx_size > 0 ? options.ctx_size : shape_.n_ctx_train;
  block_size_ = options.kv_block_size;
  n_blocks_ =
      options.kv_blocks > 0 ? options.kv_blocks : (ctx_size_ + block_size_ - 1) / block_size_;
  step_rows_ = std::max<int64_t>(options.max_step_tokens, 1);

  instance_ = std::make_unique<VulkanInstance>(InstanceOptions{device.validation});
  device_ = std::make_unique<VulkanDevice>(*instance_, device.device_index);
  pipelines_ = std::make_unique<PipelineSet>(*device_);
  recorder_ = std::make_unique<CommandRecorder>(*pipelines_);
}

DeviceDecoder::~DeviceDecoder() = default;

void DeviceDecoder::load(KvRowElems kv_rows) {
  const model::WeightBinder b(*file_);
  const int64_t n_embd = shape_.n_embd;
  kv_rows_ = kv_rows;

  // Bind (and check) everything first, so a bad file fails before any upload.
  UploadList uploads;
  const gguf::TensorInfo& emb = b.tensor("token_embd.weight", {n_embd, shape_.n_vocab});
  tensor::require_dequantizable(emb.type);
  token_embd_ = {emb.type, emb.data, n_embd, shape_.n_vocab,
                 tensor::row_bytes(tensor::dtype_info(emb.type), n_embd)};
  norms_.resize(static_cast<size_t>(shape_.n_layer));
  for (int64_t i = 0; i < shape_.n_layer; ++i) {
    LayerNorms& n = norms_[static_cast<size_t>(i)];
    const std::string at = fmt::format("blk.{}.", i);
    uploads.floats(&n.attn, b.vector(model::layer_tensor(i, "attn_norm.weight"), n_embd),
                   at + "attn_norm");
    bind_layer(b, i, uploads);
    uploads.floats(&n.ffn, b.vector(model::layer_tensor(i, "ffn_norm.weight"), n_embd),
                   at + "ffn_norm");
  }
  uploads.floats(&output_norm_, b.vector("output_norm.weight", n_embd), "output_norm");
  kernels::WeightView output = b.matrix_opt("output.weight", n_embd, shape_.n_vocab);
  if (output.data == nullptr) output = b.matrix("token_embd.weight", n_embd, shape_.n_vocab);
  uploads.matrix(&output_, output, "output");
  const int64_t weight_bytes = uploads.bytes();

  // The KV pool: per layer one K (and one V) buffer of n_blocks x block_size rows (F16), each
  // one storage binding. A pool asked for by memory share (the default --kv-cache-mem) may hold
  // more blocks than one binding addresses on a model with few layers: it is capped there (the
  // engine's allocator hands out kv_block_count()).
  const int64_t row_bytes = block_size_ * std::max(kv_rows.k, kv_rows.v) * 2;
  const auto range = static_cast<int64_t>(device_->max_storage_range());
  if (n_blocks_ * row_bytes > range) {
    const int64_t fit = range / row_bytes;
    if (fit * block_size_ < ctx_size_) {
      fail(ErrorKind::kUnsupported,
           "{}: one layer's KV rows for one {}-token sequence exceed what Vulkan device {} binds "
           "per buffer ({:.1f} MiB)",
           file_->path(), ctx_size_, device_->info().name, mib(range));
    }
    spdlog::warn(
        "vulkan: {}: KV pool capped at {} blocks x {} tokens (asked {}): one layer's pool is one "
        "storage binding, at most {:.1f} MiB on {}",
        file_->path(), fit, block_size_, n_blocks_, mib(range), device_->info().name);
    n_blocks_ = fit;
  }
  const int64_t kv_layer_k = n_blocks_ * block_size_ * kv_rows.k * 2;
  const int64_t kv_layer_v = n_blocks_ * block_size_ * kv_rows.v * 2;
  const int64_t kv_bytes = shape_.n_layer * (kv_layer_k + kv_layer_v);
  const int64_t act_bytes =
      shared_activation_bytes(step_rows_) +
      step_rows_ * activation_floats_per_row() * static_cast<int64_t>(sizeof(float));
  device_->require_fits(
      static_cast<uint64_t>(weight_bytes + kv_bytes + act_bytes),
      fmt::format("model {} ({:.1f} MiB weights + {:.1f} MiB KV pool of {} blocks x {} tokens + "
                  "{:.1f} MiB activations for {} tokens per step)",
                  file_->path(), mib(weight_bytes), mib(kv_bytes), n_blocks_, block_size_,
                  mib(act_bytes), step_rows_));

  uploads.upload_all(*device_);
  for (int64_t i = 0; i < shape_.n_layer; ++i) {
    const std::string at = fmt::format("blk.{}.", i);
    k_pool_.emplace_back(*device_, static_cast<size_t>(kv_layer_k), at + "KV pool (K)");
    if (kv_rows.v > 0) {
      v_pool_.emplace_back(*device_, static_cast<size_t>(kv_layer_v), at + "KV pool (V)");
    }
  }
  allocate_step_buffers(step_rows_);

  info_ = model::describe_model(*file_, shape_.arch);
  info_.n_vocab = shape_.n_vocab;
  info_.n_ctx_train = shape_.n_ctx_train;
  info_.kv_bytes_per_token =
      model::KvBlockPool::bytes_per_token_for(shape_.n_layer, kv_rows.k, kv_rows.v);
  info_.weight_bytes_per_token =
      layer_weight_bytes_per_token() + static_cast<int64_t>(output_.row_bytes) * output_.n_out;
  spdlog::info("vulkan: {} on device {} ({}): {:.1f} MiB of {:.1f} MiB device memory in use",
               info_.name, device_->info().index, device_->info().name,
               mib(static_cast<int64_t>(device_->memory_used_bytes())),
               mib(static_cast<int64_t>(device_->memory_total_bytes())));
}

int64_t DeviceDecoder::shared_activation_bytes(int64_t rows) const {
  return rows * (4 * shape_.n_embd + shape_.n_vocab) * static_cast<int64_t>(sizeof(float));
}

void DeviceDecoder::allocate_step_buffers(int64_t rows) {
  // Release first: the old and new need not fit together.
  for (DeviceBuffer* b : {&x_, &h_, &proj_, &gathered_, &logits_}) *b = DeviceBuffer{};
  allocate_activations(0);
  VulkanDevice& dev = *device_;
  const auto bytes = [&](int64_t floats) { return static_cast<size_t>(floats) * sizeof(float); };
  x_ = DeviceBuffer(dev, bytes(rows * shape_.n_embd), "residual stream");
  h_ = DeviceBuffer(dev, bytes(rows * shape_.n_embd), "block input");
  proj_ = DeviceBuffer(dev, bytes(rows * shape_.n_embd), "block output");
  gathered_ = DeviceBuffer(dev, bytes(rows * shape_.n_embd), "output head rows");
  logits_ = DeviceBuffer(dev, bytes(rows * shape_.n_vocab), "logits", true);
  allocate_activations(rows);
  step_rows_ = rows;
}

DeviceKv DeviceDecoder::kv_layer(int64_t layer) const {
  const auto i = static_cast<size_t>(layer);
  const BufferSlice k = whole(k_pool_[i]);
  if (kv_rows_.v == 0) {
    return {k,          k,         block_size_, block_size_ * kv_rows_.k, block_size_ * kv_rows_.k,
            kv_rows_.k, kv_rows_.k};
  }
  return {k,
          whole(v_pool_[i]),
          block_size_,
          block_size_ * kv_rows_.k,
          block_size_ * kv_rows_.v,
          kv_rows_.k,
          kv_rows_.v};
}

void DeviceDecoder::store_kv(CommandRecorder& rec, int64_t layer, const Step& step,
                             const FloatRows& k, const FloatRows* v) const {
  const auto i = static_cast<size_t>(layer);
  kv_store(rec, k, step.n, kv_rows_.k, whole(k_pool_[i]), step.k_rows);
  if (v != nullptr && kv_rows_.v > 0) {
    kv_store(rec, *v, step.n, kv_rows_.v, whole(v_pool_[i]), step.v_rows);
  }
}

void DeviceDecoder::check_validation(const char* when) const {
  if (!instance_->validating()) return;
  const auto messages = instance_->validation_messages();
  if (messages.empty()) return;
  instance_->clear_validation_messages();
  fail(ErrorKind::kInternal, "Vulkan validation ({}): {} message(s), first: {}", when,
       messages.size(), messages.front());
}

model::Logits DeviceDecoder::forward(const model::Batch& batch) {
  const model::BatchPlan plan =
      model::plan_batch(batch, {shape_.n_vocab, ctx_size_, block_size_, n_blocks_});
  const int64_t n = plan.n_tokens;
  const int64_t n_embd = shape_.n_embd;
  if (n > step_rows_) allocate_step_buffers(std::max(n, 2 * step_rows_));

  Step step{plan, n, {}, {}, {}};
  step.k_rows.resize(static_cast<size_t>(n));
  step.v_rows.resize(static_cast<size_t>(n));
  for (size_t r = 0; r < step.k_rows.size(); ++r) {
    const int64_t slot = plan.kv_block[r] * block_size_ + plan.kv_slot[r];
    step.k_rows[r] = slot * kv_rows_.k;
    step.v_rows[r] = slot * kv_rows_.v;
  }
  step.tasks.reserve(batch.sequences.size());
  for (size_t s = 0; s < batch.sequences.size(); ++s) {
    const model::BatchSequence& seq = batch.sequences[s];
    step.tasks.push_back({plan.first_token[s], static_cast<int64_t>(seq.tokens.size()),
                          seq.start_pos, seq.block_table});
  }
  embedded_.resize(static_cast<size_t>(n * n_embd));
  model::embed_tokens(token_embd_, plan.tokens.data(), n, embedded_.data(), n_embd, ctx_);

  const float eps = shape_.rms_eps;
  const FloatRows x = float_rows(x_, n_embd);
  CommandRecorder& rec = *recorder_;
  rec.begin();
  const BufferSlice staged = rec.stage(embedded_.data(), embedded_.size() * sizeof(float));
  rec.copy({staged.buffer, staged.offset, embedded_.size() * sizeof(float)}, whole(x_));
  for (int64_t il = 0; il < shape_.n_layer; ++il) {
    const LayerNorms& norms = norms_[static_cast<size_t>(il)];
    rms_norm(rec, x, n, n_embd, whole(norms.attn), eps, h());
    record_attention(rec, il, step);
    add(rec, x, proj(), n, n_embd);
    rms_norm(rec, x, n, n_embd, whole(norms.ffn), eps, h());
    record_ffn(rec, il, step);
    add(rec, x, proj(), n, n_embd);
  }
  // The rows that want logits, normalised into `gathered` run by run (each sequence's are
  // consecutive), then one output matmul over them.
  const std::vector<int64_t>& want = plan.logit_rows;
  int64_t g = 0;
  for (size_t i = 0; i < want.size();) {
    size_t j = i + 1;
    while (j < want.size() && want[j] == want[j - 1] + 1) ++j;
    const auto run = static_cast<int64_t>(j - i);
    rms_norm(rec, float_rows(x_, n_embd, want[i] * n_embd), run, n_embd, whole(output_norm_), eps,
             float_rows(gathered_, n_embd, g * n_embd));
    g += run;
    i = j;
  }
  matmul(rec, output_, float_rows(gathered_, n_embd), g, float_rows(logits_, shape_.n_vocab));
  rec.submit_and_wait();
  check_validation("forward step");

  model::Logits logits;
  model::init_logits_layout(batch, shape_.n_vocab, logits);
  logits.data.resize(static_cast<size_t>(g * shape_.n_vocab));
  std::memcpy(logits.data.data(), logits_.mapped(), logits.data.size() * sizeof(float));
  return logits;
}

model::DeviceStatus DeviceDecoder::device_status() const {
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
