// Tokenizer: partition -> pre-tokenize -> BPE, and byte-exact decoding (see tokenizer.h).
#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "base/error.h"
#include "gguf/gguf_file.h"

namespace dsinfer::tokenizer {

namespace {

PreTokenizerKind checked_pre(const VocabSpec& spec, const std::string& origin) {
  try {
    return parse_pre_tokenizer(spec.pre);
  } catch (const Error& e) {
    fail(e.kind(), "{}: {}", origin, e.what());
  }
}

}  // namespace

Tokenizer::Tokenizer(VocabSpec spec, std::string origin)
    : vocab_(std::move(spec), origin),
      pre_(checked_pre(vocab_.spec(), origin)),
      bpe_(vocab_, pre_.kind() == PreTokenizerKind::kLlama3),
      specials_(vocab_) {
  const ByteLevelCodec codec;
  pieces_.resize(static_cast<size_t>(vocab_.size()));
  for (int32_t id = 0; id < vocab_.size(); ++id) {
    const TokenType t = vocab_.type(id);
    std::string& piece = pieces_[static_cast<size_t>(id)];
    if (t == TokenType::kNormal || t == TokenType::kByte) {
      codec.decode(vocab_.text(id), piece);
    } else if (t != TokenType::kUnused) {
      piece = vocab_.text(id);  // control / user-defined: their text as written
    }  // unused (reserved, padding) tokens render as nothing, as the reference does
  }
}

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const gguf::GgufFile& file) {
  return std::make_unique<Tokenizer>(read_vocab_spec(file.metadata(), file.path()), file.path());
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos,
                                       bool parse_special) const {
  return encode_parts(text, add_bos, parse_special, {});
}

std::vector<int32_t> Tokenizer::encode(const MarkedText& text, bool add_bos) const {
  return encode_parts(text.text, add_bos, /*parse_special=*/true, text.untrusted);
}

std::vector<int32_t> Tokenizer::encode_parts(std::string_view text, bool add_bos,
                                             bool parse_special,
                                             const ByteRanges& untrusted) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (add_bos && bos_id() >= 0) ids.push_back(bos_id());
  std::vector<TextFragment> fragments;
  specials_.partition(text, parse_special, untrusted, fragments);
  std::vector<std::string_view> words;
  for (const TextFragment& frag : fragments) {
    if (frag.token >= 0) {
      ids.push_back(frag.token);
      continue;
    }
    words.clear();
    pre_.split(frag.text, words);
    for (std::string_view word : words) bpe_.encode_word(word, ids);
  }
  return ids;
}

const std::string& Tokenizer::token_piece(int32_t id) const {
  if (!vocab_.valid_id(id)) {
    fail(ErrorKind::kInvalidInput, "token id {} is outside the vocabulary (0..{})", id,
         vocab_.size() - 1);
  }
  return pieces_[static_cast<size_t>(id)];
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) out += token_piece(id);
  return out;
}

bool Tokenizer::is_end_of_generation(int32_t id) const {
  const auto& eog = vocab_.eog_ids();
  return std::binary_search(eog.begin(), eog.end(), id);
}

bool Tokenizer::is_control(int32_t id) const {
  return vocab_.valid_id(id) && vocab_.type(id) == TokenType::kControl;
}

}  // namespace dsinfer::tokenizer
