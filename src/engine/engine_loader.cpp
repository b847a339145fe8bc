// One-call engine construction from a model file.
#include "engine/engine_loader.h"

#include <spdlog/spdlog.h>

#include "base/cpu_quota.h"
#include "base/error.h"
#include "engine/device_select.h"
#include "engine/tokenizer_codec.h"
#include "model/architecture.h"

namespace dsinfer::engine {

std::unique_ptr<LoadedEngine> load_engine(const std::string& model_path, const EngineConfig& config,
                                          int threads) {
  validate_engine_config(config);
  const DeviceSpec device = parse_device(config.device);
  auto out = std::make_unique<LoadedEngine>();
  out->file = gguf::GgufFile::open(model_path);
  // The model layer knows each architecture's KV row and context length (model/architecture.h).
  const model::ArchitectureFacts facts = model::read_architecture_facts(*out->file);
  const int64_t kv_per_token = facts.kv_bytes_per_token;
  // A percentage is of the device's memory when the model runs on one (the KV pool lives there).
  const int64_t kv_bytes = resolve_kv_cache_bytes(config.kv_cache_mem, device_memory_bytes(device));
  out->sizing = size_kv_pool(config, kv_bytes, kv_per_token, facts.n_ctx_train);
  out->tokenizer = tokenizer::Tokenizer::from_gguf(*out->file);
  out->pool = std::make_unique<ThreadPool>(threads > 0 ? threads : usable_cpu_count());
  out->ctx = std::make_unique<kernels::ExecContext>(*out->pool);
  model::ModelOptions options;
  options.kv_block_size = out->sizing.block_size;
  options.kv_blocks = out->sizing.block_count;
  options.ctx_size = out->sizing.ctx_size;
  options.max_step_tokens = config.max_batched_tokens;
  out->model = load_model_on(device, out->file, options, *out->ctx);
  // Every sampled id must be a token the tokenizer can decode (and every token a row).
  if (out->model->info().n_vocab != out->tokenizer->n_vocab()) {
    fail(ErrorKind::kBadFile,
         "{}: the model's output has {} rows but its tokenizer has {} tokens; they must match",
         model_path, out->model->info().n_vocab, out->tokenizer->n_vocab());
  }
  // The pool as the model allocated it (a device may cap the sizing's block count).
  spdlog::info(
      "engine: {} ({}) on {}, ctx-size {} tokens, KV pool {} blocks x {} tokens = {} MiB "
      "({} bytes/token), {} threads, max-batched-tokens {}, max-running {}, prefix cache {}",
      out->model->info().name, out->model->info().architecture, config.device, out->sizing.ctx_size,
      out->model->kv_block_count(), out->model->kv_block_size(),
      (out->model->kv_block_count() * out->model->kv_block_size() * kv_per_token) >> 20,
      kv_per_token, out->pool->size(), config.max_batched_tokens, config.max_running,
      config.prefix_cache ? "on" : "off");
  out->engine = std::make_unique<Engine>(*out->model, make_tokenizer_codec(out->tokenizer), config,
                                         out->sizing.ctx_size);
  return out;
}

}  // namespace dsinfer::engine
