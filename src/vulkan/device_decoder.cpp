// The shared device decoder: binding, fitting and upload at load; forward()'s skeleton.
#include "vulkan/device_decoder.h"

#include <algorithm>
#include <cstring>
#include <limits>

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

  const auto n_parts = static_cast<int64_t>(device.device_indices.size());
  if (n_parts < 1 || n_parts > shape_.n_layer) {
    fail(ErrorKind::kInvalidInput,
         "{}: --device lists {} Vulkan devices for a model of {} layers; a layer split needs "
         "between 1 and {} devices",
         file_->path(), n_parts, shape_.n_layer, shape_.n_layer);
  }
  instance_ = std::make_unique<VulkanInstance>(InstanceOptions{device.validation});
  // Contiguous runs of layers, as even as the count allows.
  parts_.resize(static_cast<size_t>(n_parts));
  for (int64_t p = 0; p < n_parts; ++p) {
    Part& part = parts_[static_cast<size_t>(p)];
    part.device =
        std::make_unique<VulkanDevice>(*instance_, device.device_indices[static_cast<size_t>(p)]);
    part.pipelines = std::make_unique<PipelineSet>(*part.device);
    part.recorder = std::make_unique<CommandRecorder>(*part.pipelines);
    part.first = p * shape_.n_layer / n_parts;
    part.end = (p + 1) * shape_.n_layer / n_parts;
    for (int64_t il = part.first; il < part.end; ++il) {
      part_of_layer_.push_back(static_cast<size_t>(p));
    }
  }
}

DeviceDecoder::~DeviceDecoder() = default;

void DeviceDecoder::load(KvRowElems kv_rows) {
  const model::WeightBinder b(*file_);
  const int64_t n_embd = shape_.n_embd;
  kv_rows_ = kv_rows;

  // Bind (and check) everything first, so a bad file fails before any upload; each part's
  // list holds what its device receives.
  std::vector<UploadList> uploads(parts_.size());
  const gguf::TensorInfo& emb = b.tensor("token_embd.weight", {n_embd, shape_.n_vocab});
  tensor::require_dequantizable(emb.type);
  token_embd_ = {emb.type, emb.data, n_embd, shape_.n_vocab,
                 tensor::row_bytes(tensor::dtype_info(emb.type), n_embd)};
  norms_.resize(static_cast<size_t>(shape_.n_layer));
  for (int64_t i = 0; i < shape_.n_layer; ++i) {
    UploadList& list = uploads[part_of(i)];
    LayerNorms& n = norms_[static_cast<size_t>(i)];
    const std::string at = fmt::format("blk.{}.", i);
    list.floats(&n.attn, b.vector(model::layer_tensor(i, "attn_norm.weight"), n_embd),
                at + "attn_norm");
    bind_layer(b, i, list);
    list.floats(&n.ffn, b.vector(model::layer_tensor(i, "ffn_norm.weight"), n_embd),
                at + "ffn_norm");
  }
  UploadList& last = uploads.back();
  last.floats(&output_norm_, b.vector("output_norm.weight", n_embd), "output_norm");
  kernels::WeightView output = b.matrix_opt("output.weight", n_embd, shape_.n_vocab);
  if (output.data == nullptr) output = b.matrix("token_embd.weight", n_embd, shape_.n_vocab);
  last.matrix(&output_, output, "output");

  // The KV pool: per layer one K (and one V) buffer of n_blocks x block_size rows (F16), each
  // one storage binding. A pool asked for by memory share (the default --kv-cache-mem) may hold
  // more blocks than one binding addresses on a model with few layers: it is capped there (the
  // engine's allocator hands out kv_block_count()).
  const int64_t row_bytes = block_size_ * std::max(kv_rows.k, kv_rows.v) * 2;
  auto range = std::numeric_limits<int64_t>::max();
  for (const Part& part : parts_) {
    range = std::min(range, static_cast<int64_t>(part.device->max_storage_range()));
  }
  const std::string& name = parts_.front().device->info().name;
  if (n_blocks_ * row_bytes > range) {
    const int64_t fit = range / row_bytes;
    if (fit * block_size_ < ctx_size_) {
      fail(ErrorKind::kUnsupported,
           "{}: one layer's KV rows for one {}-token sequence exceed what Vulkan device {} binds "
           "per buffer ({:.1f} MiB)",
           file_->path(), ctx_size_, name, mib(range));
    }
    spdlog::warn(
        "vulkan: {}: KV pool capped at {} blocks x {} tokens (asked {}): one layer's pool is one "
        "storage binding, at most {:.1f} MiB on {}",
        file_->path(), fit, block_size_, n_blocks_, mib(range), name);
    n_blocks_ = fit;
  }
  const int64_t kv_layer_k = n_blocks_ * block_size_ * kv_rows.k * 2;
  const int64_t kv_layer_v = n_blocks_ * block_size_ * kv_rows.v * 2;
  for (size_t p = 0; p < parts_.size(); ++p) {
    const Part& part = parts_[p];
    const bool is_last = p + 1 == parts_.size();
    const int64_t weight_bytes = uploads[p].bytes();
    const int64_t kv_bytes = (part.end - part.first) * (kv_layer_k + kv_layer_v);
    const int64_t act_bytes =
        shared_activation_bytes(step_rows_, is_last) +
        step_rows_ * activation_floats_per_row() * static_cast<int64_t>(sizeof(float));
    const std::string layers = parts_.size() == 1
                                   ? std::string()
                                   : fmt::format(" layers {}-{} of", part.first, part.end - 1);
    part.device->require_fits(
        static_cast<uint64_t>(weight_bytes + kv_bytes + act_bytes),
        fmt::format("model{} {} ({:.1f} MiB weights + {:.1f} MiB KV pool of {} blocks x {} "
                    "tokens + {:.1f} MiB activations for {} tokens per step)",
                    layers, file_->path(), mib(weight_bytes), mib(kv_bytes), n_blocks_, block_size_,
                    mib(act_bytes), step_rows_));
  }

  for (size_t p = 0; p < parts_.size(); ++p) uploads[p].upload_all(*parts_[p].device);
  for (int64_t i = 0; i < shape_.n_layer; ++i) {
    VulkanDevice& dev = device(part_of(i));
    const std::string at = fmt::format("blk.{}.", i);
    k_pool_.emplace_back(dev, static_cast<size_t>(kv_layer_k), at + "KV pool (K)");
    if (kv_rows.v > 0) {
      v_pool_.emplace_back(dev, static_cast<size_t>(kv_layer_v), at + "KV pool (V)");
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
  for (const Part& part : parts_) {
    spdlog::info(
        "vulkan: {} layers {}-{} on device {} ({}): {:.1f} MiB of {:.1f} MiB device memory in "
        "use",
        info_.name, part.first, part.end - 1, part.device->info().index, part.device->info().name,
        mib(static_cast<int64_t>(part.device->memory_used_bytes())),
        mib(static_cast<int64_t>(part.device->memory_total_bytes())));
  }
}

int64_t DeviceDecoder::shared_activation_bytes(int64_t rows, bool last) const {
  const int64_t floats = last ? 4 * shape_.n_embd + shape_.n_vocab : 4 * shape_.n_embd;
  return rows * floats * static_cast<int64_t>(sizeof(float));
}

void DeviceDecoder::allocate_step_buffers(int64_t rows) {
  // Release first: the old and new need not fit together.
  gathered_ = DeviceBuffer{};
  logits_ = DeviceBuffer{};
  for (size_t p = 0; p < parts_.size(); ++p) {
    Part& part = parts_[p];
    for (DeviceBuffer* b : {&part.x, &part.h, &part.proj, &part.handoff}) *b = DeviceBuffer{};
    allocate_activations(p, 0);
  }
  const auto bytes = [&](int64_t floats) { return static_cast<size_t>(floats) * sizeof(float); };
  for (size_t p = 0; p < parts_.size(); ++p) {
    Part& part = parts_[p];
    VulkanDevice& dev = *part.device;
    part.x = DeviceBuffer(dev, bytes(rows * shape_.n_embd), "residual stream");
    part.h = DeviceBuffer(dev, bytes(rows * shape_.n_embd), "block input");
    part.proj = DeviceBuffer(dev, bytes(rows * shape_.n_embd), "block output");
    if (p + 1 < parts_.size()) {
      part.handoff = DeviceBuffer(dev, bytes(rows * shape_.n_embd), "residual handoff", true);
    } else {
      gathered_ = DeviceBuffer(dev, bytes(rows * shape_.n_embd), "output head rows");
      logits_ = DeviceBuffer(dev, bytes(rows * shape_.n_vocab), "logits", true);
    }
    allocate_activations(p, rows);
  }
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
  const std::vector<int64_t>& want = plan.logit_rows;
  int64_t g = 0;  // logit rows gathered

  const float eps = shape_.rms_eps;
  const size_t x_bytes = static_cast<size_t>(n * n_embd) * sizeof(float);
  for (size_t p = 0; p < parts_.size(); ++p) {
    Part& part = parts_[p];
    const FloatRows x = float_rows(part.x, n_embd);
    CommandRecorder& rec = *part.recorder;
    rec.begin();
    // The embedding rows, or the previous part's residual stream.
    const void* in = p == 0 ? embedded_.data() : parts_[p - 1].handoff.mapped();
    const BufferSlice staged = rec.stage(in, x_bytes);
    rec.copy({staged.buffer, staged.offset, x_bytes}, whole(part.x));
    for (int64_t il = part.first; il < part.end; ++il) {
      const LayerNorms& norms = norms_[static_cast<size_t>(il)];
      rms_norm(rec, x, n, n_embd, whole(norms.attn), eps, h(il));
      record_attention(rec, il, step);
      add(rec, x, proj(il), n, n_embd);
      rms_norm(rec, x, n, n_embd, whole(norms.ffn), eps, h(il));
      record_ffn(rec, il, step);
      add(rec, x, proj(il), n, n_embd);
    }
    if (p + 1 < parts_.size()) {
      rec.copy({&part.x, 0, x_bytes}, whole(part.handoff));
      rec.submit_and_wait();
      check_validation("forward step");
      continue;
    }
    // The rows that want logits, normalised into `gathered` run by run (each sequence's are
    // consecutive), then one output matmul over them.
    for (size_t i = 0; i < want.size();) {
      size_t j = i + 1;
      while (j < want.size() && want[j] == want[j - 1] + 1) ++j;
      const auto run = static_cast<int64_t>(j - i);
      rms_norm(rec, float_rows(part.x, n_embd, want[i] * n_embd), run, n_embd, whole(output_norm_),
               eps, float_rows(gathered_, n_embd, g * n_embd));
      g += run;
      i = j;
    }
    matmul(rec, output_, float_rows(gathered_, n_embd), g, float_rows(logits_, shape_.n_vocab));
    rec.submit_and_wait();
    check_validation("forward step");
  }

  model::Logits logits;
  model::init_logits_layout(batch, shape_.n_vocab, logits);
  logits.data.resize(static_cast<size_t>(g * shape_.n_vocab));
  std::memcpy(logits.data.data(), logits_.mapped(), logits.data.size() * sizeof(float));
  return logits;
}

model::DeviceStatus DeviceDecoder::device_status() const {
  model::DeviceStatus s;
  s.type = "vulkan";
  const VulkanDeviceInfo& first = parts_.front().device->info();
  s.index = first.index;
  s.name = first.name;
  s.driver = first.driver;
  std::vector<int> counted;  // a device opened twice holds one memory
  for (const Part& part : parts_) {
    const int index = part.device->info().index;
    if (part.device.get() != parts_.front().device.get())
      s.name += " + " + part.device->info().name;
    s.memory_used_bytes += static_cast<int64_t>(part.device->memory_used_bytes());
    if (std::find(counted.begin(), counted.end(), index) != counted.end()) continue;
    counted.push_back(index);
    s.memory_total_bytes += static_cast<int64_t>(part.device->memory_total_bytes());
  }
  return s;
}

}  // namespace dsinfer::vulkan
