// Facts about a model file for ModelInfo: name, dominant weight type, parameter count.
#pragma once

#include <string>

#include "gguf/gguf_file.h"
#include "model/model.h"

namespace dsinfer::model {

// Fills architecture, name (general.name, else the file stem), weight_type (the most common type
// among the 2-D weights, by element count) and parameter_count (all tensors' elements).
ModelInfo describe_model(const gguf::GgufFile& file, const std::string& arch);

}  // namespace dsinfer::model
