// What the engine needs from a tokenizer, as a small interface: encode a text prompt, recognise
// end-of-generation tokens, and turn generated tokens into complete UTF-8 pieces. Lets the engine
// run with a real tokenizer (tokenizer_codec.h) or a test double.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/request.h"

namespace dsinfer::engine {

// Incremental detokenizer of one sequence: push() returns only complete UTF-8 text.
class PieceDecoder {
 public:
  virtual ~PieceDecoder() = default;
  virtual std::string push(TokenId token) = 0;
  // Text still held at the end (an incomplete UTF-8 tail, rendered as the codec decides).
  virtual std::string flush() = 0;
};

// Shared by every sequence; implementations must be safe to call from several threads (encode
// runs on the submitting thread, the rest on the engine thread).
class TextCodec {
 public:
  virtual ~TextCodec() = default;
  // Tokenizes a prompt; add_bos unset = as the model's metadata says. `parse_special` off: the
  // text is plain text throughout (no control or user-defined tokens are recognised in it).
  virtual std::vector<TokenId> encode(const std::string& text, std::optional<bool> add_bos,
                                      bool parse_special) const = 0;
  virtual bool is_end_of_generation(TokenId token) const = 0;
  virtual std::unique_ptr<PieceDecoder> make_decoder() const = 0;
};

}  // namespace dsinfer::engine
