// Recognition of special (control) and user-defined tokens inside raw text: splits the text into
// token fragments and plain-text fragments before pre-tokenization.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/marked_text.h"
#include "tokenizer/vocab.h"

namespace dsinfer::tokenizer {

// One piece of partitioned text: either a whole special token or plain text to pre-tokenize.
struct TextFragment {
  int32_t token = -1;     // >= 0: this fragment is that token
  std::string_view text;  // view into the partitioned text
};

// Immutable after construction; partition() is thread-safe.
class SpecialTokenMatcher {
 public:
  explicit SpecialTokenMatcher(const Vocab& vocab);

  // NOTE: the reference's order: special tokens are tried longest text first; each splits every
  // remaining plain-text fragment at all its (non-overlapping, leftmost-first) occurrences. A
  // trie scan first finds which tokens occur at all, so the per-token passes only run for those.
  // Control/unknown tokens are recognised only when `parse_special`; user-defined tokens always
  // are (as in the reference and Hugging Face tokenizers). No token is recognised where its text
  // overlaps one of the `untrusted` byte ranges (caller text, see marked_text.h): there it stays
  // plain text. Appends fragments covering `text`.
  void partition(std::string_view text, bool parse_special, const ByteRanges& untrusted,
                 std::vector<TextFragment>& out) const;

  size_t size() const { return specials_.size(); }

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // byte -> node index
    int32_t special = -1;                               // index into specials_
  };
  int32_t child(int32_t node, uint8_t byte) const;

  const Vocab& vocab_;
  std::vector<int32_t> specials_;  // token ids, longest text first
  std::vector<bool> always_;       // parallel to specials_: user-defined (parsed regardless)
  std::vector<Node> trie_;         // node 0 is the root
  std::array<int32_t, 256> root_children_{};
};

}  // namespace dsinfer::tokenizer
