// DeepL's `preserve_formatting`: the edges of a sentence as the source has them, where a model
// would "correct" them — punctuation at the start and the end, the case of the first letter.
#pragma once

#include <string>
#include <string_view>

namespace dsinfer::translate {

// Returns `translation` (of the segment `source`, both UTF-8) with the source's formatting at
// its edges; whitespace and markup placeholders (<g1>, </g1>, <x2/>) at the edges are skipped:
// - End: source with final punctuation (. ! ? … 。 ！ ？, possibly inside closing quotes or
//   brackets) and a translation without → the source's marks are added, full-width after Han or
//   kana (。！？), ASCII otherwise; a source without final punctuation → the translation's is
//   removed. Both with → the model's stays (the target's convention: "。" vs ".").
// - Start: source that opens with list or ellipsis marks (- – — • * · … .) and a translation
//   without → the source's marks (and the space after them) are put in front; the opposite →
//   the translation's are removed. Language-specific openers (¿ ¡ quotes) are left alone.
// - Case: the first letter after those marks and opening quotes/brackets takes the source's
//   case (lower, or upper/title) when both first letters are cased; scripts without case
//   (Han, kana, Hangul, Arabic, Hebrew, Thai, …) on either side and digits are left as they are.
// An empty translation stays empty. Thread-safe.
std::string preserve_formatting(std::string_view source, std::string_view translation);

}  // namespace dsinfer::translate
