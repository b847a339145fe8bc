// In-memory byte-level vocabularies for tokenizer unit tests: the 256 byte tokens, then one
// token per merge (in merge order), then optional special tokens.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tokenizer/byte_level.h"
#include "tokenizer/vocab.h"

namespace dsinfer::tokenizer::test {

// `merges` are pairs of raw-byte strings (e.g. {"h", "e"}); specials are (text, type).
inline VocabSpec make_vocab(const std::vector<std::pair<std::string, std::string>>& merges,
                            const std::vector<std::pair<std::string, TokenType>>& specials = {},
                            const std::string& pre = "gpt-2") {
  const ByteLevelCodec codec;
  VocabSpec spec;
  spec.pre = pre;
  for (int b = 0; b < 256; ++b) {
    spec.tokens.emplace_back(codec.encode_byte(static_cast<uint8_t>(b)));
  }
  for (const auto& [l, r] : merges) {
    std::string left;
    std::string right;
    codec.encode(l, left);
    codec.encode(r, right);
    spec.merges.push_back(left + " " + right);
    spec.tokens.push_back(left + right);
  }
  spec.types.assign(spec.tokens.size(), TokenType::kNormal);
  for (const auto& [text, type] : specials) {
    spec.tokens.push_back(text);
    spec.types.push_back(type);
  }
  return spec;
}

// The 256 byte tokens plus control tokens <s> (BOS, id 256) and </s> (EOS, id 257): enough for a
// chat template and an engine in tests that need a real tokenizer but no merges.
inline VocabSpec make_chat_vocab(const std::string& pre = "deepseek-llm") {
  VocabSpec spec =
      make_vocab({}, {{"<s>", TokenType::kControl}, {"</s>", TokenType::kControl}}, pre);
  spec.bos_id = 256;
  spec.eos_id = 257;
  return spec;
}

}  // namespace dsinfer::tokenizer::test
