// A loaded model: hyper-parameters, bound weights, KV storage, and forward(Batch).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "model/batch.h"

namespace dsinfer::model {

struct ModelOptions {
  int64_t kv_block_size = 16;  // tokens per KV block
  int64_t kv_blocks = 0;       // blocks in the pool (0 = enough for one ctx_size sequence)
  int64_t ctx_size = 0;        // max tokens per sequence (0 = the model's context length)
  bool repack_weights = true;  // weights of types with an 8-row layout into it (weight_pack.h)
  // Most tokens one forward() computes (the engine's --max-batched-tokens). A device backend
  // allocates its activations for that many at load, so a step never allocates; 0 = as needed.
  int64_t max_step_tokens = 0;
};

// Where a model's forward pass runs, for /health and /metrics. The CPU backend leaves the
// device fields empty (type "cpu"); a device backend fills them.
struct DeviceStatus {
  std::string type = "cpu";        // "cpu" or "vulkan"
  int index = 0;                   // the N of --device vulkan:N
  std::string name;                // "NVIDIA A100-SXM4-80GB", "llvmpipe (LLVM 15.0.6, 256 bits)"
  std::string driver;              // driver name and version
  int64_t memory_used_bytes = 0;   // device memory this process holds (weights, KV, scratch)
  int64_t memory_total_bytes = 0;  // the device's memory
};

// Facts the engine and server need about a model.
struct ModelInfo {
  std::string architecture;  // "llama", "qwen2", "deepseek2"
  std::string name;          // general.name or the file stem
  std::string weight_type;   // e.g. "Q4_K" (most common type of the 2-D weights)
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t parameter_count = 0;
  int64_t kv_bytes_per_token = 0;      // bytes the KV pool stores per token (all layers)
  int64_t weight_bytes_per_token = 0;  // bytes of weights one decode step reads (all matmuls)
};

// Owns the mapped file, the weights and the KV block memory. Not thread-safe: one thread (the
// engine thread) calls forward(); kernels inside spread over the execution context given at load
// (kernels/exec_context.h), which must outlive the model.
class Model {
 public:
  virtual ~Model() = default;

  virtual const ModelInfo& info() const = 0;
  virtual int64_t kv_block_size() const = 0;
  virtual int64_t kv_block_count() const = 0;
  // Max positions per sequence (ModelOptions::ctx_size, or the model's context length).
  virtual int64_t ctx_size() const = 0;

  // Runs one step over the batch: stores K/V of every token into its blocks (as given by each
  // sequence's block_table, which must cover start_pos + tokens) and returns logits.
  // Throws Error(kInvalidInput) for a malformed batch (bad token id, missing blocks).
  virtual Logits forward(const Batch& batch) = 0;

  // The device forward() runs on (thread-safe: read by /health and /metrics while the engine
  // thread runs steps).
  virtual DeviceStatus device_status() const { return {}; }
};

// Loads any supported architecture. Throws Error naming the file and what is wrong (unknown
// architecture, missing or mis-shaped tensor, unsupported weight type).
std::unique_ptr<Model> load_model(std::shared_ptr<const gguf::GgufFile> file,
                                  const ModelOptions& options, kernels::ExecContext& ctx);

}  // namespace dsinfer::model
