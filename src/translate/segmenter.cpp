// Paragraph and sentence segmentation (ICU BreakIterator) with byte-exact separators.
#include "translate/segmenter.h"

#include <memory>

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "base/error.h"

namespace dsinfer::translate {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void check_utf8(std::string_view s) {
  int32_t i = 0;
  const auto n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 c = 0;
    const int32_t at = i;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0) fail(ErrorKind::kInvalidInput, "text: invalid UTF-8 at byte {}", at);
  }
}

// A piece of text with the whitespace around it split off.
struct Span {
  std::string_view core;
  std::string_view trailing;
};

Span split_trailing_space(std::string_view s) {
  size_t end = s.size();
  while (end > 0 && is_space(s[end - 1])) --end;
  return {s.substr(0, end), s.substr(end)};
}

// Paragraphs: runs of text separated by a line break followed by optional blanks and another
// line break. Each returned view starts at a non-space character; separators are included at
// the end of the previous paragraph (split off later as trailing whitespace).
std::vector<std::string_view> paragraphs(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '\n') {
      size_t j = i + 1;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) ++j;
      if (j < s.size() && s[j] == '\n') {
        while (j < s.size() && is_space(s[j])) ++j;
        out.push_back(s.substr(start, j - start));
        start = j;
        i = j;
        continue;
      }
    }
    ++i;
  }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

// Sentence pieces of a paragraph (each includes its trailing whitespace), via ICU.
std::vector<std::string_view> sentences(std::string_view para) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> it(
      icu::BreakIterator::createSentenceInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status))
    fail(ErrorKind::kInternal, "ICU sentence iterator: {}", u_errorName(status));
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(para.data(), static_cast<int32_t>(para.size())));
  it->setText(u);
  std::vector<std::string_view> out;
  // Map UTF-16 offsets back to UTF-8 byte offsets by walking both strings together.
  int32_t u16 = 0;
  size_t u8 = 0;
  size_t start8 = 0;
  for (int32_t b = it->next(); b != icu::BreakIterator::DONE; b = it->next()) {
    while (u16 < b) {
      const UChar32 c = u.char32At(u16);
      u16 += U16_LENGTH(c);
      u8 += static_cast<size_t>(U8_LENGTH(c));
    }
    out.push_back(para.substr(start8, u8 - start8));
    start8 = u8;
  }
  if (start8 < para.size()) out.push_back(para.substr(start8));
  return out;
}

}  // namespace

std::string SegmentedText::reassemble(const std::vector<std::string>& translated) const {
  std::string out = leading;
  for (size_t i = 0; i < segments.size() && i < translated.size(); ++i) {
    out += translated[i];
    out += segments[i].separator;
  }
  return out;
}

namespace {

// The text's leading whitespace set aside; returns the rest.
std::string_view take_leading(std::string_view text, SegmentedText& result) {
  size_t lead = 0;
  while (lead < text.size() && is_space(text[lead])) ++lead;
  result.leading = std::string(text.substr(0, lead));
  return text.substr(lead);
}

// Appends a piece as a segment and its trailing whitespace as the separator (whitespace only:
// added to the previous separator).
void emit(SegmentedText& result, std::string_view piece) {
  const Span span = split_trailing_space(piece);
  if (span.core.empty()) {
    if (!result.segments.empty()) {
      result.segments.back().separator += std::string(span.trailing);
    } else {
      result.leading += std::string(span.trailing);
    }
    return;
  }
  result.segments.push_back({std::string(span.core), std::string(span.trailing)});
}

}  // namespace

SegmentedText segment_sentences(std::string_view text, bool across_lines) {
  check_utf8(text);
  SegmentedText result;
  const std::string_view body = take_leading(text, result);
  // NOTE: ICU ends a sentence at every line break (UAX #29 Sep). Across lines, ICU reads a copy
  // whose CR and LF are spaces: same length, so its boundaries are the original's byte offsets.
  std::string flat;
  std::string_view scan = body;
  if (across_lines) {
    flat = std::string(body);
    for (char& c : flat) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    scan = flat;
  }
  size_t at = 0;
  for (std::string_view sentence : sentences(scan)) {
    emit(result, body.substr(at, sentence.size()));
    at += sentence.size();
  }
  return result;
}

SegmentedText segment_whole(std::string_view text) {
  check_utf8(text);
  SegmentedText result;
  emit(result, take_leading(text, result));
  return result;
}

SegmentedText segment_text(std::string_view text, int64_t max_tokens,
                           const TokenCounter& count_tokens) {
  check_utf8(text);
  SegmentedText result;
  const std::string_view body = take_leading(text, result);

  for (std::string_view para : paragraphs(body)) {
    if (count_tokens(para) <= max_tokens) {
      emit(result, para);
      continue;
    }
    // Pack sentences greedily up to the budget; a chunk ends after a sentence's whitespace.
    size_t chunk_start = 0;
    size_t chunk_end = 0;
    for (std::string_view sentence : sentences(para)) {
      const size_t s_begin = static_cast<size_t>(sentence.data() - para.data());
      const size_t s_end = s_begin + sentence.size();
      if (chunk_end > chunk_start &&
          count_tokens(para.substr(chunk_start, s_end - chunk_start)) > max_tokens) {
        emit(result, para.substr(chunk_start, chunk_end - chunk_start));
        chunk_start = s_begin;
      }
      chunk_end = s_end;
    }
    if (chunk_end > chunk_start) emit(result, para.substr(chunk_start, chunk_end - chunk_start));
  }
  return result;
}

}  // namespace dsinfer::translate
