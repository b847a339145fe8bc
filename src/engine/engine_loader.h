// Builds a ready Engine from one GGUF file: opens it, sizes the KV pool from the memory settings,
// loads the tokenizer and the model, and starts the engine thread (used by the CLI, the server
// and benchmarks).
#pragma once

#include <memory>
#include <string>

#include "base/thread_pool.h"
#include "engine/engine.h"
#include "engine/engine_config.h"
#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer::engine {

// Everything behind one engine; members are destroyed engine first.
struct LoadedEngine {
  std::shared_ptr<const gguf::GgufFile> file;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<kernels::ExecContext> ctx;  // the CPU backend over `pool`
  std::unique_ptr<model::Model> model;
  KvSizing sizing;
  std::unique_ptr<Engine> engine;
};

// `threads` <= 0 = usable_cpu_count(). Throws Error naming the file for a bad or unsupported
// model, and Error(kInvalidInput) with the numbers when the KV pool cannot hold one --ctx-size
// sequence. Logs the resolved sizing.
std::unique_ptr<LoadedEngine> load_engine(const std::string& model_path, const EngineConfig& config,
                                          int threads);

}  // namespace dsinfer::engine
