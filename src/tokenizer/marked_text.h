// Text assembled from trusted parts (a chat template's own markup) and untrusted ones (what a
// caller sent: message content, prompts, documents), with the byte ranges of the untrusted parts.
// Only trusted bytes may become special tokens (Tokenizer::encode(const MarkedText&, ...)).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::tokenizer {

struct ByteRange {
  size_t begin = 0;
  size_t end = 0;  // exclusive
  bool operator==(const ByteRange&) const = default;
};
// Sorted, non-empty, non-adjacent ranges (adjacent ones are merged).
using ByteRanges = std::vector<ByteRange>;

// Appends `src` shifted by `offset` to `dst`, merging a range that touches the last one. Every
// range of `src` must start at or after the end of `dst`'s last range minus `offset`.
void append_ranges(ByteRanges& dst, const ByteRanges& src, size_t offset);
// The parts of `ranges` inside [begin, end), shifted so that `begin` becomes 0.
ByteRanges slice_ranges(const ByteRanges& ranges, size_t begin, size_t end);
// True when [begin, end) overlaps one of `ranges`.
bool overlaps(const ByteRanges& ranges, size_t begin, size_t end);

// A value type; not synchronised.
struct MarkedText {
  std::string text;
  ByteRanges untrusted;

  // All of `s` trusted / all of it untrusted.
  static MarkedText trusted(std::string s);
  static MarkedText from_caller(std::string s);

  void append(std::string_view s, bool from_caller);
  // Appends `s` whose own untrusted ranges are `ranges` (relative to `s`).
  void append(std::string_view s, const ByteRanges& ranges);
  void append(const MarkedText& other) { append(other.text, other.untrusted); }
};

}  // namespace dsinfer::tokenizer
