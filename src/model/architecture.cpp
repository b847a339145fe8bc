// The registry's table and the lookups over it.
#include "model/architecture.h"

#include "base/error.h"
#include "model/deepseek2_model.h"
#include "model/llama_model.h"

namespace dsinfer::model {
namespace {

constexpr const Architecture* kArchitectures[] = {&kLlamaArchitecture, &kQwen2Architecture,
                                                  &kDeepseek2Architecture};

std::string names() {
  std::string out;
  for (const Architecture* a : kArchitectures) {
    if (!out.empty()) out += ", ";
    out += a->name;
  }
  return out;
}

}  // namespace

std::span<const Architecture* const> architectures() { return kArchitectures; }

const Architecture& architecture_of(const gguf::GgufFile& file) {
  const auto arch = file.metadata().get_string_opt("general.architecture");
  if (!arch) {
    fail(ErrorKind::kBadFile, "{}: missing metadata key 'general.architecture'", file.path());
  }
  for (const Architecture* a : kArchitectures) {
    if (*arch == a->name) return *a;
  }
  fail(ErrorKind::kUnsupported, "{}: architecture '{}' is not supported (supported: {})",
       file.path(), *arch, names());
}

ArchitectureFacts read_architecture_facts(const gguf::GgufFile& file) {
  const Architecture& a = architecture_of(file);
  return a.read_facts(file, a.name);
}

std::unique_ptr<Model> load_model(std::shared_ptr<const gguf::GgufFile> file,
                                  const ModelOptions& options, kernels::ExecContext& ctx) {
  if (!file) fail(ErrorKind::kInvalidInput, "load_model: no file");
  const Architecture& a = architecture_of(*file);
  return a.create(std::move(file), a.name, options, ctx);
}

}  // namespace dsinfer::model
