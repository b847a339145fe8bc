// ModelInfo from a file's metadata and tensor table.
#include "model/model_info.h"

#include <map>

namespace dsinfer::model {

ModelInfo describe_model(const gguf::GgufFile& file, const std::string& arch) {
  ModelInfo info;
  info.architecture = arch;
  if (auto name = file.metadata().get_string_opt("general.name"); name && !name->empty()) {
    info.name = *name;
  } else {
    std::string stem = file.path();
    if (auto slash = stem.find_last_of('/'); slash != std::string::npos)
      stem = stem.substr(slash + 1);
    if (auto dot = stem.rfind(".gguf"); dot != std::string::npos) stem = stem.substr(0, dot);
    info.name = stem;
  }
  std::map<tensor::DType, int64_t> elements_by_type;
  for (const auto& t : file.tensors()) {
    info.parameter_count += t.n_elements;
    if (t.shape.size() >= 2) elements_by_type[t.type] += t.n_elements;
  }
  int64_t best = -1;
  for (const auto& [type, count] : elements_by_type) {
    if (count > best) {
      best = count;
      info.weight_type = tensor::dtype_name(type);
    }
  }
  return info;
}

}  // namespace dsinfer::model
