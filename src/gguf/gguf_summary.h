// What a model file is, at a glance: architecture, sizes, tokenizer, tensor statistics. Drives
// `dsinfer inspect` (its JSON keys follow ../shared/fixtures/golden/models.json).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "gguf/gguf_file.h"

namespace dsinfer::gguf {

struct ModelSummary {
  // File
  uint32_t gguf_version = 0;
  uint64_t alignment = 0;
  int split_count = 1;
  uint64_t file_bytes = 0;            // all splits
  uint64_t tensor_bytes = 0;          // sum of the tensors' data
  std::optional<std::string> name;    // general.name
  std::optional<uint64_t> file_type;  // general.file_type (llama.cpp ftype number)

  // Architecture hyper-parameters (<arch>.* keys; absent keys stay nullopt)
  std::string architecture;
  std::optional<uint64_t> block_count;
  std::optional<uint64_t> context_length;
  std::optional<uint64_t> embedding_length;
  std::optional<uint64_t> feed_forward_length;
  std::optional<uint64_t> head_count;
  std::optional<uint64_t> head_count_kv;
  std::optional<uint64_t> expert_count;
  std::optional<uint64_t> expert_used_count;
  std::optional<uint64_t> expert_shared_count;
  std::optional<uint64_t> expert_feed_forward_length;
  std::optional<uint64_t> leading_dense_block_count;
  std::optional<uint64_t> q_lora_rank;
  std::optional<uint64_t> kv_lora_rank;
  std::optional<uint64_t> rope_dimension_count;
  std::optional<double> rope_freq_base;
  std::optional<std::string> rope_scaling_type;
  std::optional<double> rope_scaling_factor;
  std::optional<uint64_t> rope_scaling_original_context_length;

  // Tokenizer
  std::optional<uint64_t> vocab_size;  // length of tokenizer.ggml.tokens, else <arch>.vocab_size
  std::optional<std::string> tokenizer_model;
  std::optional<std::string> tokenizer_pre;
  bool has_chat_template = false;

  // Tensors
  uint64_t tensor_count = 0;
  int64_t parameter_count = 0;                    // sum of the element counts of all tensors
  std::map<std::string, uint64_t> tensor_types;   // type name -> number of tensors
  std::map<std::string, uint64_t> bytes_by_type;  // type name -> bytes of data
};

// Summarises an opened file. Throws Error(kBadFile) when a key it reads has the wrong type.
ModelSummary summarize(const GgufFile& file);

// Name of a general.file_type value ("Q4_K_M", "BF16"...), or "unknown".
const char* file_type_name(uint64_t file_type);

}  // namespace dsinfer::gguf
