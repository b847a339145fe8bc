// The tokenizer `make-model` writes when no --vocab file is given: a small byte-level BPE
// vocabulary learned from a built-in bilingual text, the family's special tokens and a chat
// template (the tokenizer layer's built-in one for the family).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer::cli {

struct BuiltVocab {
  std::string model = "gpt2";
  std::string pre;                   // tokenizer.ggml.pre
  std::vector<std::string> tokens;   // exactly n_vocab entries
  std::vector<int32_t> token_types;  // 1 normal, 3 control, 5 unused
  std::vector<std::string> merges;   // "a b", rank order
  int64_t bos_id = -1;               // -1: none
  int64_t eos_id = -1;
  int64_t eot_id = -1;
  int64_t pad_id = -1;
  bool add_bos = false;
  std::string chat_template;
};

// Builds the vocabulary for tokenizer family `pre` with exactly `n_vocab` tokens (>= 512).
// Deterministic: the same arguments always give the same vocabulary.
BuiltVocab build_vocab(const std::string& pre, int64_t n_vocab);

}  // namespace dsinfer::cli
