// The vocabulary of a byte-level BPE tokenizer: token texts and types, merges, special ids and
// flags, read from GGUF metadata (tokenizer.ggml.*) or built from plain vectors (tests, fuzzing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dsinfer::gguf {
class Metadata;
}

namespace dsinfer::tokenizer {

// GGUF token types (tokenizer.ggml.token_type), values as stored in the file.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Everything needed to build a Vocab; plain data so tests and fuzzers can make one in memory.
struct VocabSpec {
  std::vector<std::string> tokens;  // byte-level stand-in text per id
  std::vector<TokenType> types;     // empty: every token kNormal
  std::vector<std::string> merges;  // "left right", highest priority first
  std::string pre = "gpt-2";        // tokenizer.ggml.pre
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t pad_id = -1;
  int32_t unk_id = -1;
  int32_t eot_id = -1;
  int32_t eom_id = -1;
  bool add_bos = false;
  bool add_eos = false;
};

// Reads the tokenizer.ggml.* keys of a GGUF file. Throws Error(kUnsupported) when
// tokenizer.ggml.model is not "gpt2" (the supported list is in the message) and Error(kBadFile)
// for missing or inconsistent keys.
VocabSpec read_vocab_spec(const gguf::Metadata& metadata, std::string_view file);

// Validated, immutable vocabulary. Thread-safe to read.
class Vocab {
 public:
  // Validates `spec` (ids in range, sizes consistent); throws Error(kBadFile) naming `origin`.
  explicit Vocab(VocabSpec spec, std::string origin = "vocabulary");

  int32_t size() const { return static_cast<int32_t>(spec_.tokens.size()); }
  const std::string& text(int32_t id) const { return spec_.tokens[static_cast<size_t>(id)]; }
  TokenType type(int32_t id) const { return types_[static_cast<size_t>(id)]; }
  bool valid_id(int32_t id) const { return id >= 0 && id < size(); }
  // Id of the token whose stand-in text is exactly `text`.
  std::optional<int32_t> find(std::string_view text) const;

  const VocabSpec& spec() const { return spec_; }
  const std::string& origin() const { return origin_; }
  // Every end-of-generation id: EOS, EOT, EOM and tokens named like known turn terminators.
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  VocabSpec spec_;
  std::string origin_;
  std::vector<TokenType> types_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids_;
  std::vector<int32_t> eog_ids_;
};

}  // namespace dsinfer::tokenizer
