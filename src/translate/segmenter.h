// Splits a document into segments to translate in parallel: paragraphs first, then sentences
// (ICU sentence boundaries, so Chinese/Japanese punctuation splits correctly) packed up to a
// token budget. The whitespace between segments is kept aside so that reassembly restores the
// original separators byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::translate {

struct Segment {
  std::string text;       // no leading/trailing whitespace; never empty
  std::string separator;  // whitespace that followed it in the source
};

struct SegmentedText {
  std::string leading;  // whitespace before the first segment
  std::vector<Segment> segments;

  // leading + translated[0] + separator[0] + translated[1] + ... ; translated.size() must equal
  // segments.size().
  std::string reassemble(const std::vector<std::string>& translated) const;
};

using TokenCounter = std::function<int64_t(std::string_view)>;

// Splits `text` (valid UTF-8; throws Error(kInvalidInput) otherwise). A paragraph within
// `max_tokens` is one segment; a longer one is cut at sentence boundaries into segments of at
// most `max_tokens` each (a single sentence longer than that stays whole). Thread-safe.
SegmentedText segment_text(std::string_view text, int64_t max_tokens,
                           const TokenCounter& count_tokens);

// Every sentence (ICU boundaries) its own segment, whatever its length. A line break ends a
// sentence unless `across_lines`: then only punctuation does, and a sentence that spans a line
// break is one segment with the break inside. Throws Error(kInvalidInput) for invalid UTF-8.
SegmentedText segment_sentences(std::string_view text, bool across_lines);

// The whole text as one segment (its surrounding whitespace kept aside); none when it is blank.
SegmentedText segment_whole(std::string_view text);

}  // namespace dsinfer::translate
