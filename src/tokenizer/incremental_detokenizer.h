// Streaming detokenizer: turns generated token ids into text one token at a time without ever
// emitting half a UTF-8 character.
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace dsinfer::tokenizer {

// One per generated sequence; not thread-safe (one stream = one owner). The Tokenizer must
// outlive it. The concatenation of every push() and the final flush() equals
// decode(all ids) whenever that is well-formed UTF-8; otherwise each ill-formed sequence
// becomes U+FFFD (one per maximal subpart).
class IncrementalDetokenizer {
 public:
  explicit IncrementalDetokenizer(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  // Appends the token's bytes and returns the newly complete text: every character that is
  // complete, and U+FFFD for bytes that can never become valid. A trailing partial character is
  // held back. Throws Error(kInvalidInput) for an id out of range.
  std::string push(int32_t id);
  // End of stream: returns the held-back bytes (an incomplete character becomes U+FFFD).
  std::string flush();
  // Bytes held back so far (0..3).
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
};

}  // namespace dsinfer::tokenizer
