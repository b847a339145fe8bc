// UTF-8 helpers for the tokenizer: well-formedness per the Unicode standard (Table 3-7), encoding
// one code point, and decoding with U+FFFD for ill-formed input (one per maximal subpart).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dsinfer::tokenizer {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Appends the UTF-8 encoding of `cp` to `out`. Code points above U+10FFFF or surrogates are
// written as U+FFFD.
void utf8_append(uint32_t cp, std::string& out);

// Copies `bytes` to `out`, replacing every ill-formed sequence by U+FFFD (one per maximal
// subpart, as the Unicode standard and the WHATWG decoder do). When `final` is false, a trailing
// sequence that is incomplete but could still become valid is left unconsumed. Returns the
// number of bytes of `bytes` consumed. Pure function, thread-safe.
size_t utf8_decode_lossy(std::string_view bytes, bool final, std::string& out);

// True when `bytes` is entirely well-formed UTF-8.
bool utf8_is_valid(std::string_view bytes);

// Decodes the code point starting at `pos` of well-formed UTF-8 text and advances `pos`; an
// ill-formed byte yields U+FFFD and advances by one.
uint32_t utf8_next(std::string_view text, size_t& pos);

}  // namespace dsinfer::tokenizer
