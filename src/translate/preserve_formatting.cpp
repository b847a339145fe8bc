// The edges of a segment (leading marks, first letter, final punctuation) found in code points
// (ICU character properties), then copied from the source onto the translation.
#include "translate/preserve_formatting.h"

#include <string>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

namespace dsinfer::translate {
namespace {

constexpr std::u32string_view kFinal = U".!?…。！？｡．‼⁇⁈⁉।॥؟۔";
constexpr std::u32string_view kClosing = U"\"'”’»›)]}」』）］】〉》〕";
constexpr std::u32string_view kOpening = U"\"'“‘„‚«‹([{¿¡「『（［【〈《〔";
constexpr std::u32string_view kLeadMarks = U"-‐‑–—•‣◦*·…‥.";

bool in(std::u32string_view set, UChar32 c) {
  return c >= 0 && set.find(static_cast<char32_t>(c)) != std::u32string_view::npos;
}

UChar32 at(std::string_view s, size_t i, size_t* next = nullptr) {
  int32_t k = static_cast<int32_t>(i);
  UChar32 c = 0;
  U8_NEXT(s.data(), k, static_cast<int32_t>(s.size()), c);
  if (next) *next = static_cast<size_t>(k);
  return c;
}

UChar32 before(std::string_view s, size_t i, size_t* prev) {
  int32_t k = static_cast<int32_t>(i);
  UChar32 c = 0;
  U8_PREV(s.data(), 0, k, c);
  *prev = static_cast<size_t>(k);
  return c;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of a placeholder (<g1>, </g1>, <x2/>) starting at i, 0 if none.
size_t placeholder_at(std::string_view s, size_t i) {
  size_t j = i;
  if (j >= s.size() || s[j] != '<') return 0;
  ++j;
  const bool closing = j < s.size() && s[j] == '/';
  if (closing) ++j;
  if (j >= s.size() || (s[j] != 'g' && s[j] != 'x') || (closing && s[j] != 'g')) return 0;
  const bool self_closing = s[j] == 'x';
  ++j;
  const size_t digits = j;
  while (j < s.size() && is_digit(s[j])) ++j;
  if (j == digits) return 0;
  if (self_closing) {
    if (j >= s.size() || s[j] != '/') return 0;
    ++j;
  }
  return j < s.size() && s[j] == '>' ? j + 1 - i : 0;
}

// Length of a placeholder ending at i (exclusive), 0 if none.
size_t placeholder_before(std::string_view s, size_t i) {
  if (i == 0 || s[i - 1] != '>') return 0;
  const size_t open = s.rfind('<', i - 1);
  if (open == std::string_view::npos) return 0;
  return placeholder_at(s, open) == i - open ? i - open : 0;
}

// Where the formatting of a segment lies, as byte offsets.
struct Edges {
  size_t begin = 0;     // first byte after leading whitespace and placeholders
  size_t lead_end = 0;  // after the leading marks (and the spaces after them); == begin: none
  size_t first = 0;     // the first letter's code point (after marks and opening quotes)
  size_t end = 0;       // after the last byte before trailing whitespace and placeholders
  size_t final_begin = 0, final_end = 0;  // the final punctuation; empty: none
  bool words = false;                     // a letter or digit somewhere in [begin, end)
};

Edges find_edges(std::string_view s) {
  Edges e;
  size_t i = 0;
  while (i < s.size()) {
    size_t next = 0;
    if (const size_t p = placeholder_at(s, i)) {
      i += p;
    } else if (u_isUWhiteSpace(at(s, i, &next))) {
      i = next;
    } else {
      break;
    }
  }
  e.begin = i;
  size_t j = s.size();
  while (j > e.begin) {
    size_t prev = 0;
    if (const size_t p = placeholder_before(s, j)) {
      j -= p;
    } else if (u_isUWhiteSpace(before(s, j, &prev))) {
      j = prev;
    } else {
      break;
    }
  }
  e.end = j;
  for (size_t k = e.begin; k < e.end;) {
    if (u_isalnum(at(s, k, &k))) e.words = true;
  }
  // Leading marks, then the spaces after them.
  size_t k = e.begin;
  size_t next = 0;
  while (k < e.end && in(kLeadMarks, at(s, k, &next))) k = next;
  if (k > e.begin) {
    while (k < e.end && u_isUWhiteSpace(at(s, k, &next))) k = next;
  }
  e.lead_end = k;
  while (k < e.end && in(kOpening, at(s, k, &next))) k = next;
  e.first = k;
  // Final punctuation: at the very end, or just inside closing quotes and brackets.
  const auto final_run = [&](size_t stop) {
    size_t b = stop;
    size_t prev = 0;
    while (b > e.first && in(kFinal, before(s, b, &prev))) b = prev;
    return b;
  };
  size_t stop = e.end;
  size_t b = final_run(stop);
  if (b == stop) {
    size_t prev = 0;
    while (stop > e.first && in(kClosing, before(s, stop, &prev))) stop = prev;
    b = final_run(stop);
  }
  e.final_begin = b;
  e.final_end = stop;
  return e;
}

bool wide_script(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(c, &status);
  return U_SUCCESS(status) &&
         (script == USCRIPT_HAN || script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA);
}

std::string utf8(UChar32 c) {
  char buf[4];
  int32_t n = 0;
  UBool error = false;
  U8_APPEND(buf, n, 4, c, error);
  return error ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// The source's final marks in the form the translation's script uses.
std::string final_marks(std::string_view marks, bool wide) {
  std::string out;
  for (size_t i = 0; i < marks.size();) {
    UChar32 c = at(marks, i, &i);
    if (wide) {
      c = c == '.' ? U'。' : c == '!' ? U'！' : c == '?' ? U'？' : c;
    } else {
      c = (c == U'。' || c == U'｡' || c == U'．') ? '.' : c == U'！' ? '!' : c == U'？' ? '?' : c;
    }
    out += utf8(c);
  }
  return out;
}

// The translation's first letter in the source's case class; `c` unchanged when not both cased.
UChar32 cased_like(UChar32 source, UChar32 c) {
  if (!u_hasBinaryProperty(source, UCHAR_CASED) || !u_hasBinaryProperty(c, UCHAR_CASED)) return c;
  if (u_islower(source)) return u_isupper(c) || u_istitle(c) ? u_tolower(c) : c;
  if (u_isupper(source) || u_istitle(source)) return u_islower(c) ? u_totitle(c) : c;
  return c;
}

}  // namespace

std::string preserve_formatting(std::string_view source, std::string_view translation) {
  const Edges s = find_edges(source);
  const Edges t = find_edges(translation);
  if (!s.words || t.begin >= t.end) return std::string(translation);
  std::string out(translation);
  // Edits from the end backwards, so that the earlier offsets stay valid.
  const bool source_final = s.final_begin < s.final_end;
  const bool translation_final = t.final_begin < t.final_end;
  if (source_final && !translation_final) {
    // Full-width marks after Han or kana (closing quotes and brackets looked through).
    size_t k = t.end;
    UChar32 last = 0;
    while (k > t.first && in(kClosing, last = before(translation, k, &k))) {
    }
    const bool wide = wide_script(last);
    out.insert(t.end, final_marks(source.substr(s.final_begin, s.final_end - s.final_begin), wide));
  } else if (!source_final && translation_final && t.final_begin > t.first) {
    out.erase(t.final_begin, t.final_end - t.final_begin);
  }
  if (s.first < s.end && t.first < t.end) {
    size_t source_next = 0;
    size_t next = 0;
    const UChar32 c = at(translation, t.first, &next);
    const UChar32 cased = cased_like(at(source, s.first, &source_next), c);
    if (cased != c && c >= 0) out.replace(t.first, next - t.first, utf8(cased));
  }
  const bool source_lead = s.lead_end > s.begin;
  const bool translation_lead = t.lead_end > t.begin;
  if (source_lead && !translation_lead) {
    out.insert(t.begin, source.substr(s.begin, s.lead_end - s.begin));
  } else if (!source_lead && translation_lead && t.lead_end < t.end) {
    out.erase(t.begin, t.lead_end - t.begin);
  }
  return out;
}

}  // namespace dsinfer::translate
