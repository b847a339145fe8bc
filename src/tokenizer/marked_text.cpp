// Byte-range bookkeeping of trusted / untrusted text (see marked_text.h).
#include "tokenizer/marked_text.h"

#include <algorithm>

namespace dsinfer::tokenizer {

namespace {

void push_range(ByteRanges& dst, size_t begin, size_t end) {
  if (begin >= end) return;
  if (!dst.empty() && dst.back().end >= begin) {
    dst.back().end = std::max(dst.back().end, end);
    return;
  }
  dst.push_back({begin, end});
}

}  // namespace

void append_ranges(ByteRanges& dst, const ByteRanges& src, size_t offset) {
  for (const ByteRange& r : src) push_range(dst, r.begin + offset, r.end + offset);
}

ByteRanges slice_ranges(const ByteRanges& ranges, size_t begin, size_t end) {
  ByteRanges out;
  if (begin >= end) return out;
  // First range that ends after `begin`.
  auto it = std::upper_bound(ranges.begin(), ranges.end(), begin,
                             [](size_t pos, const ByteRange& r) { return pos < r.end; });
  for (; it != ranges.end() && it->begin < end; ++it) {
    push_range(out, std::max(it->begin, begin) - begin, std::min(it->end, end) - begin);
  }
  return out;
}

bool overlaps(const ByteRanges& ranges, size_t begin, size_t end) {
  if (begin >= end) return false;
  const auto it = std::upper_bound(ranges.begin(), ranges.end(), begin,
                                   [](size_t pos, const ByteRange& r) { return pos < r.end; });
  return it != ranges.end() && it->begin < end;
}

MarkedText MarkedText::trusted(std::string s) { return MarkedText{std::move(s), {}}; }

MarkedText MarkedText::from_caller(std::string s) {
  MarkedText m;
  m.text = std::move(s);
  push_range(m.untrusted, 0, m.text.size());
  return m;
}

void MarkedText::append(std::string_view s, bool from_caller) {
  if (from_caller) push_range(untrusted, text.size(), text.size() + s.size());
  text += s;
}

void MarkedText::append(std::string_view s, const ByteRanges& ranges) {
  append_ranges(untrusted, ranges, text.size());
  text += s;
}

}  // namespace dsinfer::tokenizer
