// load_model: picks the implementation for the file's architecture.
#include "model/model.h"

#include "base/error.h"
#include "model/deepseek2_model.h"
#include "model/llama_model.h"

namespace dsinfer::model {

std::unique_ptr<Model> load_model(std::shared_ptr<const gguf::GgufFile> file,
                                  const ModelOptions& options, ThreadPool& pool) {
  if (!file) fail(ErrorKind::kInvalidInput, "load_model: no file");
  const auto arch = file->metadata().get_string_opt("general.architecture");
  if (!arch) {
    fail(ErrorKind::kBadFile, "{}: missing metadata key 'general.architecture'", file->path());
  }
  if (*arch == "llama" || *arch == "qwen2") {
    return std::make_unique<LlamaModel>(std::move(file), *arch, options, pool);
  }
  if (*arch == "deepseek2") return std::make_unique<Deepseek2Model>(std::move(file), options, pool);
  fail(ErrorKind::kUnsupported,
       "{}: architecture '{}' is not supported (supported: llama, qwen2, deepseek2)", file->path(),
       *arch);
}

}  // namespace dsinfer::model
