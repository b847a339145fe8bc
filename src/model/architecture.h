// The architecture registry: one row per model architecture dsinfer runs ({name, facts reader,
// create}), so the engine sizes its KV pool and loads a model by asking model/, never by reading
// architecture keys of the GGUF metadata itself. Adding an architecture = its model class and its
// row (declared in its header, listed in architecture.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "model/model.h"

namespace dsinfer::model {

// What the engine must know of a model before loading it.
struct ArchitectureFacts {
  int64_t kv_bytes_per_token = 0;  // bytes the KV pool stores per token (all layers)
  int64_t n_ctx_train = 0;         // the context length the model was trained with
};

struct Architecture {
  const char* name;  // general.architecture, e.g. "qwen2"
  // Reads and validates the hyper-parameters (Error(kBadFile) naming the file and key).
  ArchitectureFacts (*read_facts)(const gguf::GgufFile& file, const std::string& name);
  // Binds the weights and allocates the KV pool (throws like load_model).
  std::unique_ptr<Model> (*create)(std::shared_ptr<const gguf::GgufFile> file,
                                   const std::string& name, const ModelOptions& options,
                                   kernels::ExecContext& ctx);
};

// Every registered architecture.
std::span<const Architecture* const> architectures();

// The row for the file's general.architecture. Throws Error(kBadFile) when the key is missing and
// Error(kUnsupported) listing the registered names when it is not one of them.
const Architecture& architecture_of(const gguf::GgufFile& file);

// architecture_of(file).read_facts(file, name).
ArchitectureFacts read_architecture_facts(const gguf::GgufFile& file);

}  // namespace dsinfer::model
