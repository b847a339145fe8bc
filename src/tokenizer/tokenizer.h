// The tokenizer the engine and server use: text -> token ids (special tokens, pre-tokenizer,
// byte-level BPE) and ids -> bytes, for the byte-level BPE vocabularies of DeepSeek and Qwen2.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/bpe_model.h"
#include "tokenizer/marked_text.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/special_tokens.h"
#include "tokenizer/vocab.h"

namespace dsinfer::gguf {
class GgufFile;
}

namespace dsinfer::tokenizer {

// Immutable after construction. Every const method is thread-safe (encode is called from many
// HTTP threads at once).
class Tokenizer {
 public:
  // Builds from a validated vocabulary spec. Throws Error(kUnsupported) for an unknown
  // pre-tokenizer (listing the supported ones), Error(kBadFile) for inconsistent data; the
  // message names `origin` (a file path, or a description).
  explicit Tokenizer(VocabSpec spec, std::string origin = "vocabulary");
  // Reads tokenizer.ggml.* from an opened GGUF file (see read_vocab_spec for the errors).
  static std::unique_ptr<Tokenizer> from_gguf(const gguf::GgufFile& file);

  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Token ids of `text` (any bytes; ill-formed UTF-8 is kept byte for byte). `add_bos`
  // prepends the BOS id (when the vocabulary has one). `parse_special`: control tokens written
  // in the text (e.g. "<｜User｜>", "<|im_start|>") become their ids; otherwise they are plain
  // text. User-defined tokens are recognised either way.
  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const;
  // Token ids of a text that mixes trusted markup and caller text (a rendered chat prompt):
  // control and user-defined tokens are recognised only where they lie wholly in trusted bytes;
  // caller text is always plain text, so a user cannot type a control token. Otherwise the text
  // is tokenized as one string (the same ids as encode(text.text, add_bos, true) whenever the
  // caller's parts hold no token text).
  std::vector<int32_t> encode(const MarkedText& text, bool add_bos) const;
  // Bytes of a token sequence, concatenated exactly (special tokens as their text). Ids out of
  // range throw Error(kInvalidInput).
  std::string decode(const std::vector<int32_t>& ids) const;
  // Raw bytes of one token (may be part of a UTF-8 character). Throws Error(kInvalidInput) for
  // an id out of range.
  const std::string& token_piece(int32_t id) const;

  int32_t n_vocab() const { return vocab_.size(); }
  int32_t bos_id() const { return vocab_.spec().bos_id; }  // -1 when none
  int32_t eos_id() const { return vocab_.spec().eos_id; }  // -1 when none
  int32_t pad_id() const { return vocab_.spec().pad_id; }  // -1 when none
  // Whether the model expects BOS before a prompt (tokenizer.ggml.add_bos_token).
  bool add_bos_default() const { return vocab_.spec().add_bos; }
  bool add_eos_default() const { return vocab_.spec().add_eos; }
  // True for EOS, EOT, EOM and every other token that ends a turn in this vocabulary.
  bool is_end_of_generation(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const { return vocab_.eog_ids(); }
  // True for control tokens (BOS, EOS, chat-role markers ...).
  bool is_control(int32_t id) const;
  const Vocab& vocab() const { return vocab_; }
  PreTokenizerKind pre_tokenizer() const { return pre_.kind(); }

 private:
  std::vector<int32_t> encode_parts(std::string_view text, bool add_bos, bool parse_special,
                                    const ByteRanges& untrusted) const;

  Vocab vocab_;
  PreTokenizer pre_;
  BpeModel bpe_;
  SpecialTokenMatcher specials_;
  std::vector<std::string> pieces_;  // raw bytes per token id
};

}  // namespace dsinfer::tokenizer
