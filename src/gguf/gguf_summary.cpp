// Builds a ModelSummary from a GgufFile's metadata and tensor table.
#include "gguf/gguf_summary.h"

#include <algorithm>
#include <array>
#include <utility>

#include "base/error.h"
#include "tensor/dtype.h"

namespace dsinfer::gguf {
namespace {

// A hyper-parameter that is a scalar in most files but a per-layer array in some (e.g. heads):
// the scalar, or the largest element of the array.
std::optional<uint64_t> uint_or_max(const Metadata& m, const std::string& key) {
  const Value* v = m.find(key);
  if (v == nullptr) return std::nullopt;
  if (v->type == ValueType::kArray) {
    const auto items = m.get_int_array(key);
    if (items.empty()) return std::nullopt;
    const int64_t mx = *std::max_element(items.begin(), items.end());
    if (mx < 0) fail(ErrorKind::kBadFile, "{}: metadata key '{}' is negative", m.file(), key);
    return static_cast<uint64_t>(mx);
  }
  return m.get_uint_opt(key);
}

}  // namespace

const char* file_type_name(uint64_t file_type) {
  static constexpr std::array<std::pair<uint64_t, const char*>, 34> kNames{{
      {0, "F32"},      {1, "F16"},      {2, "Q4_0"},       {3, "Q4_1"},          {7, "Q8_0"},
      {8, "Q5_0"},     {9, "Q5_1"},     {10, "Q2_K"},      {11, "Q3_K_S"},       {12, "Q3_K_M"},
      {13, "Q3_K_L"},  {14, "Q4_K_S"},  {15, "Q4_K_M"},    {16, "Q5_K_S"},       {17, "Q5_K_M"},
      {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"},    {21, "Q2_K_S"},       {22, "IQ3_XS"},
      {23, "IQ3_XXS"}, {24, "IQ1_S"},   {25, "IQ4_NL"},    {26, "IQ3_S"},        {27, "IQ3_M"},
      {28, "IQ2_S"},   {29, "IQ2_M"},   {30, "IQ4_XS"},    {31, "IQ1_M"},        {32, "BF16"},
      {36, "TQ1_0"},   {37, "TQ2_0"},   {38, "MXFP4_MOE"}, {4, "Q4_1_SOME_F16"},
  }};
  for (const auto& [id, name] : kNames) {
    if (id == file_type) return name;
  }
  return "unknown";
}

ModelSummary summarize(const GgufFile& file) {
  const Metadata& m = file.metadata();
  ModelSummary s;
  s.gguf_version = file.version();
  s.alignment = file.alignment();
  s.split_count = file.split_count();
  s.file_bytes = file.file_bytes();
  s.name = m.get_string_opt("general.name");
  s.file_type = m.get_uint_opt("general.file_type");

  s.architecture = m.get_string_opt("general.architecture").value_or("");
  const std::string a = s.architecture + ".";
  s.block_count = m.get_uint_opt(a + "block_count");
  s.context_length = m.get_uint_opt(a + "context_length");
  s.embedding_length = m.get_uint_opt(a + "embedding_length");
  s.feed_forward_length = uint_or_max(m, a + "feed_forward_length");
  s.head_count = uint_or_max(m, a + "attention.head_count");
  s.head_count_kv = uint_or_max(m, a + "attention.head_count_kv");
  s.expert_count = m.get_uint_opt(a + "expert_count");
  s.expert_used_count = m.get_uint_opt(a + "expert_used_count");
  s.expert_shared_count = m.get_uint_opt(a + "expert_shared_count");
  s.expert_feed_forward_length = m.get_uint_opt(a + "expert_feed_forward_length");
  s.leading_dense_block_count = m.get_uint_opt(a + "leading_dense_block_count");
  s.q_lora_rank = m.get_uint_opt(a + "attention.q_lora_rank");
  s.kv_lora_rank = m.get_uint_opt(a + "attention.kv_lora_rank");
  s.rope_dimension_count = m.get_uint_opt(a + "rope.dimension_count");
  s.rope_freq_base = m.get_float_opt(a + "rope.freq_base");
  s.rope_scaling_type = m.get_string_opt(a + "rope.scaling.type");
  s.rope_scaling_factor = m.get_float_opt(a + "rope.scaling.factor");
  s.rope_scaling_original_context_length =
      m.get_uint_opt(a + "rope.scaling.original_context_length");

  // NOTE: the vocabulary size is the length of the token list (what a runtime loads); the
  // <arch>.vocab_size key is only a fallback for files without a tokenizer.
  if (const Value* tokens = m.find("tokenizer.ggml.tokens"); tokens != nullptr) {
    const auto* arr = std::get_if<Array>(&tokens->data);
    if (tokens->type != ValueType::kArray || arr == nullptr) {
      fail(ErrorKind::kBadFile, "{}: metadata key 'tokenizer.ggml.tokens' is not an array",
           m.file());
    }
    s.vocab_size = arr->items.size();
  } else {
    s.vocab_size = m.get_uint_opt(a + "vocab_size");
  }
  s.tokenizer_model = m.get_string_opt("tokenizer.ggml.model");
  s.tokenizer_pre = m.get_string_opt("tokenizer.ggml.pre");
  s.has_chat_template = m.has("tokenizer.chat_template");

  s.tensor_count = file.tensors().size();
  for (const auto& t : file.tensors()) {
    const char* type = tensor::dtype_name(t.type);
    s.parameter_count += t.n_elements;
    s.tensor_bytes += t.n_bytes;
    s.tensor_types[type] += 1;
    s.bytes_by_type[type] += t.n_bytes;
  }
  return s;
}

}  // namespace dsinfer::gguf
