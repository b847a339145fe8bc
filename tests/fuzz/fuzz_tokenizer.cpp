// Fuzz target: arbitrary bytes through the tokenizer (every pre-tokenizer, special parsing on
// and off, caller text), the streaming detokenizer and the chat-template parser/renderer. Checks
// the round trip decode(encode(x)) == x, that caller text never becomes a special token, and
// that streamed text is valid UTF-8 (equal to x when x is).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

using dsinfer::tokenizer::ByteLevelCodec;
using dsinfer::tokenizer::Tokenizer;
using dsinfer::tokenizer::TokenType;
using dsinfer::tokenizer::VocabSpec;

// A fixture-like vocabulary: 256 byte tokens, merges of frequent English/Chinese pairs (so
// merging actually happens), control and user-defined specials.
VocabSpec fuzz_vocab(const std::string& pre) {
  const ByteLevelCodec codec;
  VocabSpec spec;
  spec.pre = pre;
  for (int b = 0; b < 256; ++b)
    spec.tokens.emplace_back(codec.encode_byte(static_cast<uint8_t>(b)));
  const std::vector<std::pair<std::string, std::string>> merges = {
      {" ", "t"}, {"h", "e"},   {" t", "he"},     {"i", "n"},           {"e", "r"},
      {" ", "a"}, {"o", "n"},   {"\xe4", "\xbd"}, {"\xe4\xbd", "\xa0"}, {"\n", "\n"},
      {" ", " "}, {"  ", "  "}, {"1", "2"}};
  for (const auto& [l, r] : merges) {
    std::string left;
    std::string right;
    codec.encode(l, left);
    codec.encode(r, right);
    spec.merges.push_back(left + " " + right);
    spec.tokens.push_back(left + right);
  }
  spec.types.assign(spec.tokens.size(), TokenType::kNormal);
  for (const char* special : {"<|im_start|>", "<|im_end|>", "<\xEF\xBD\x9CUser\xEF\xBD\x9C>"}) {
    spec.tokens.emplace_back(special);
    spec.types.push_back(TokenType::kControl);
  }
  spec.tokens.emplace_back("<think>");
  spec.types.push_back(TokenType::kUserDefined);
  spec.bos_id = 256 + static_cast<int32_t>(merges.size());
  spec.eos_id = spec.bos_id + 1;
  return spec;
}

const std::vector<std::unique_ptr<Tokenizer>>& tokenizers() {
  static const auto* all = [] {
    auto* v = new std::vector<std::unique_ptr<Tokenizer>>();
    for (const char* pre : {"deepseek-llm", "deepseek-coder", "deepseek-v3", "deepseek-r1-qwen",
                            "llama-bpe", "gpt-2"}) {
      v->push_back(std::make_unique<Tokenizer>(fuzz_vocab(pre), pre));
    }
    return v;
  }();
  return *all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto& all = tokenizers();
  const Tokenizer& tok = *all[selector % all.size()];
  const bool parse_special = (selector & 0x08) != 0;

  const auto ids = tok.encode(text, /*add_bos=*/false, parse_special);
  if (tok.decode(ids) != text) __builtin_trap();

  // Caller text never yields a control or user-defined token, and still round-trips.
  const auto plain = tok.encode(dsinfer::tokenizer::MarkedText::from_caller(text), false);
  for (int32_t id : plain) {
    if (tok.vocab().type(id) != TokenType::kNormal && tok.vocab().type(id) != TokenType::kByte) {
      __builtin_trap();
    }
  }
  if (tok.decode(plain) != text) __builtin_trap();

  dsinfer::tokenizer::IncrementalDetokenizer stream(tok);
  std::string streamed;
  for (int32_t id : ids) streamed += stream.push(id);
  streamed += stream.flush();
  if (!dsinfer::tokenizer::utf8_is_valid(streamed)) __builtin_trap();
  if (dsinfer::tokenizer::utf8_is_valid(text) && streamed != text) __builtin_trap();

  if ((selector & 0x30) == 0x30) {  // also treat the bytes as a chat template
    try {
      const auto tmpl = dsinfer::tokenizer::ChatTemplate::from_string(text, "<s>", "</s>");
      tmpl.render({{"user", "hi"}}, true);
    } catch (const dsinfer::Error&) {
      // Rejected templates are expected; only crashes and hangs are bugs.
    }
  }
  return 0;
}
