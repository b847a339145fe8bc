// The part every decoder on a Vulkan device shares (llama, qwen2, deepseek2), as
// model::DecoderModel on the CPU: the device and its command recorder, the token embedding
// (gathered on the host), the layers' norms, the output head, the paged KV pool in device memory,
// load-time fitting and upload, and forward()'s skeleton, recorded as one command buffer per step
// and device. An architecture derives from DeviceDecoder and supplies its attention and FFN.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/matmul.h"
#include "model/batch_plan.h"
#include "model/hparams.h"
#include "model/model.h"
#include "model/weight_binder.h"
#include "vulkan/command_recorder.h"
#include "vulkan/compute_pipeline.h"
#include "vulkan/device_buffer.h"
#include "vulkan/device_model.h"
#include "vulkan/device_weight.h"
#include "vulkan/ops_attention.h"
#include "vulkan/upload_list.h"
#include "vulkan/vulkan_device.h"
#include "vulkan/vulkan_instance.h"

namespace dsinfer::vulkan {

// Rows of `ld` floats of a whole buffer, from element `offset`.
inline FloatRows float_rows(const DeviceBuffer& b, int64_t ld, int64_t offset = 0) {
  return {whole(b), offset, ld};
}

// NOTE: forward() is, over all n tokens of the batch at once, recorded into one command buffer:
//   x = embedding rows (gathered on the host, copied in)
//   per layer:  h = rms_norm(x) * attn_norm;  proj = attention(h);  x += proj
//               h = rms_norm(x) * ffn_norm;   proj = ffn(h);        x += proj
//   logits = rms_norm(x[logit rows]) * output_norm W_out   (into host-visible memory)
// then submitted; the host waits and copies the logits out. Split over several devices
// (DeviceModelOptions::device_indices), each device holds a contiguous run of layers (their
// weights, norms, KV pool and activations) and records its part of the step: the first gathers
// the embedding rows, each hands its residual stream x to the next through host-visible memory
// (n x n_embd floats per step), the last runs the output head. Not thread-safe (one engine
// thread), except device_status().
class DeviceDecoder : public model::Model {
 public:
  ~DeviceDecoder() override;

  const model::ModelInfo& info() const final { return info_; }
  int64_t kv_block_size() const final { return block_size_; }
  int64_t kv_block_count() const final { return n_blocks_; }
  int64_t ctx_size() const final { return ctx_size_; }
  model::Logits forward(const model::Batch& batch) final;
  model::DeviceStatus device_status() const final;

 protected:
  // One step as the layer hooks see it.
  struct Step {
    const model::BatchPlan& plan;
    int64_t n = 0;                           // token rows
    std::vector<DeviceAttentionTask> tasks;  // one per sequence
    std::vector<int64_t> k_rows, v_rows;     // each token's KV row: element offset in a layer
  };
  // Elements of one token's K and V rows per layer in the pool (v = 0: no V row, as MLA).
  struct KvRowElems {
    int64_t k = 0;
    int64_t v = 0;
  };

  // Checks the options (Error(kInvalidInput) for a KV block size <= 0), resolves the context
  // size and pool size, opens the device; binds nothing.
  DeviceDecoder(std::shared_ptr<const gguf::GgufFile> file, const model::TransformerHparams& shape,
                const model::ModelOptions& options, kernels::ExecContext& ctx,
                const DeviceModelOptions& device);

  // The derived constructor's last step: binds the embedding, every layer's norms and (through
  // bind_layer) the architecture's weights, the output head, all checked, before any upload;
  // requires weights + KV pool (rows of `kv_rows`) + activations to fit the device (the numbers
  // in the error); uploads; allocates the pool and the activations; fills info().
  void load(KvRowElems kv_rows);

  // Binds layer `layer`'s own weights into `uploads` (destinations: the derived's members; they
  // are uploaded to the layer's device).
  virtual void bind_layer(const model::WeightBinder& b, int64_t layer, UploadList& uploads) = 0;
  // Bytes of layer weights one decode step reads (all layers); called after the upload.
  virtual int64_t layer_weight_bytes_per_token() const = 0;
  // Floats (or 32-bit ids) of the architecture's own activations per token row of a step.
  virtual int64_t activation_floats_per_row() const = 0;
  // (Re)allocates the architecture's activations on device part `part` (device(part)) for
  // `rows` token rows; rows == 0 releases them.
  virtual void allocate_activations(size_t part, int64_t rows) = 0;
  // proj = attention of layer `layer` over h (both [step.n, n_embd]); stores the step's KV rows
  // (store_kv) before attending.
  virtual void record_attention(CommandRecorder& rec, int64_t layer, const Step& step) = 0;
  // proj = feed-forward of layer `layer` over h.
  virtual void record_ffn(CommandRecorder& rec, int64_t layer, const Step& step) = 0;

  // For the hooks: the device part that runs `layer`, its device, and the block input h and
  // output proj on it.
  size_t part_of(int64_t layer) const { return part_of_layer_[static_cast<size_t>(layer)]; }
  VulkanDevice& device(size_t part) const { return *parts_[part].device; }
  const std::string& path() const { return file_->path(); }
  FloatRows h(int64_t layer) const { return float_rows(parts_[part_of(layer)].h, shape_.n_embd); }
  FloatRows proj(int64_t layer) const {
    return float_rows(parts_[part_of(layer)].proj, shape_.n_embd);
  }
  // Layer `layer`'s pool; for a pool without V rows, v is k (MLA: V inside the latent rows).
  DeviceKv kv_layer(int64_t layer) const;
  // Stores row t of k (and of v when the pool has V rows) as F16 into token t's KV slot.
  void store_kv(CommandRecorder& rec, int64_t layer, const Step& step, const FloatRows& k,
                const FloatRows* v) const;

 private:
  struct LayerNorms {
    DeviceBuffer attn, ffn;
  };
  // One device and the layers [first, end) it runs. Buffers after the device: destroyed first.
  struct Part {
    std::unique_ptr<VulkanDevice> device;
    std::unique_ptr<PipelineSet> pipelines;
    std::unique_ptr<CommandRecorder> recorder;
    int64_t first = 0;
    int64_t end = 0;
    // The residual stream, the blocks' input and output [rows, n_embd]; handoff: x for the next
    // part (host-visible; not on the last part).
    DeviceBuffer x, h, proj, handoff;
  };
  int64_t shared_activation_bytes(int64_t rows, bool last) const;
  void allocate_step_buffers(int64_t rows);
  void check_validation(const char* when) const;

  std::shared_ptr<const gguf::GgufFile> file_;
  kernels::ExecContext& ctx_;
  model::TransformerHparams shape_;
  int64_t ctx_size_ = 0;
  int64_t block_size_ = 0;
  int64_t n_blocks_ = 0;
  int64_t step_rows_ = 1;  // token rows the activations are allocated for
  KvRowElems kv_rows_;
  model::ModelInfo info_;

  // Declared before every buffer: destroyed after them.
  std::unique_ptr<VulkanInstance> instance_;
  std::vector<Part> parts_;
  std::vector<size_t> part_of_layer_;

  kernels::WeightView token_embd_;  // in the mapped file
  std::vector<LayerNorms> norms_;
  std::vector<DeviceBuffer> k_pool_, v_pool_;  // per layer; v_pool_ empty without V rows
  // On the last part: the output norm and head, the output head's rows and the logits
  // (host-visible).
  DeviceBuffer output_norm_;
  DeviceWeight output_;
  DeviceBuffer gathered_, logits_;
  std::vector<float> embedded_;  // host rows of the step's tokens
};

}  // namespace dsinfer::vulkan
