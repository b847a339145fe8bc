// Hyper-parameters of the llama-family decoders (llama, qwen2; the shared part of deepseek2),
// read from GGUF metadata keys "{arch}.*".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gguf/gguf_file.h"
#include "kernels/rope.h"

namespace dsinfer::model {

// Reads "{arch}.{key}" from a file's metadata; errors name the file and the full key.
class ArchMetadata {
 public:
  ArchMetadata(const gguf::GgufFile& file, std::string arch)
      : file_(file), arch_(std::move(arch)) {}

  const std::string& arch() const { return arch_; }
  const std::string& path() const { return file_.path(); }
  std::string key(const std::string& suffix) const { return arch_ + "." + suffix; }

  // Throws Error(kBadFile) naming the file and key when absent or not a positive integer.
  int64_t positive_int(const std::string& suffix) const;
  std::optional<int64_t> int_opt(const std::string& suffix) const;
  std::optional<double> float_opt(const std::string& suffix) const;
  std::optional<std::string> string_opt(const std::string& suffix) const;

 private:
  const gguf::GgufFile& file_;
  std::string arch_;
};

enum class RopeScaling { kNone, kLinear, kYarn };

// RoPE settings as stored: base, rotated dims, scaling (type, factor, original context).
struct RopeHparams {
  int64_t n_rot = 0;
  float freq_base = 10000.0f;
  RopeScaling scaling = RopeScaling::kNone;
  float scaling_factor = 1.0f;       // >= 1; freq_scale = 1 / factor
  int64_t n_ctx_orig = 0;            // rope.scaling.original_context_length, else context_length
  float yarn_log_multiplier = 0.0f;  // rope.scaling.yarn_log_multiplier (deepseek2)
};

struct TransformerHparams {
  std::string arch;
  int64_t n_layer = 0;
  int64_t n_embd = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim_k = 0;  // key_length, else n_embd / n_head
  int64_t head_dim_v = 0;  // value_length, else n_embd / n_head
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  float rms_eps = 1e-5f;
  RopeHparams rope;
};

// Reads and validates the hyper-parameters shared by llama-family architectures. n_vocab comes
// from "{arch}.vocab_size", else the tokenizer's token list length, else token_embd's shape.
// Throws Error(kBadFile) naming the file and key for a missing or inconsistent value.
TransformerHparams read_transformer_hparams(const gguf::GgufFile& file, const std::string& arch);

// The kernel's RoPE configuration for these settings in a given rotation layout.
kernels::RopeConfig make_rope_config(const RopeHparams& rope, kernels::RopeLayout layout);

}  // namespace dsinfer::model
