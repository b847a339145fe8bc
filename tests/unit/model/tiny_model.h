// Test helper: writes small llama / qwen2 GGUF files with deterministic random weights, with
// knobs to break them (drop or reshape a tensor, store a weight in an unsupported type).
#pragma once

#include <cstdint>
#include <string>

#include "support/fixtures.h"
#include "tensor/dtype.h"

namespace dsinfer::test {

struct TinyModelSpec {
  std::string arch = "llama";  // "llama" or "qwen2" (qwen2: Q/K/V biases)
  tensor::DType weight_type = tensor::DType::kF32;
  bool tied_output = false;  // omit output.weight
  int64_t n_layer = 2;
  int64_t n_embd = 64;
  int64_t n_ff = 128;
  int64_t n_head = 4;
  int64_t n_head_kv = 2;
  int64_t n_vocab = 96;
  int64_t n_ctx = 128;
  std::string drop_tensor;      // tensor left out of the file
  std::string reshape_tensor;   // tensor written with its dims swapped / one extra row
  std::string odd_type_tensor;  // tensor stored as Q2_K (not supported by matmul)
  uint32_t seed = 7;
};

// Where a test writes its model file `name`: TEMP/<name>.gguf (TEMP is one directory per process).
inline std::string tiny_model_path(const std::string& name) {
  return temp_dir() + "/" + name + ".gguf";
}

// Writes the model to `path` (overwritten).
void write_tiny_model(const std::string& path, const TinyModelSpec& spec);

}  // namespace dsinfer::test
