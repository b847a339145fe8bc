// Language identification of source texts (for `source_lang` absent or "auto"), over CLD2
// (Compact Language Detector 2, Debian libcld2): a naive Bayes classifier on character
// quadgrams (unigrams for CJK), with per-script tables. Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::translate {

struct DetectedLanguage {
  std::string code;   // ISO 639-1 as the translate layer writes it ("en", "zh", "zh-Hant")
  double confidence;  // 0..1: CLD2's share of the text's bytes, damped when unreliable
  bool reliable;      // CLD2's own judgement (enough text, one clear winner)
};

// Up to three candidates, best first; empty when nothing was recognised (no letters, too
// short, or not valid UTF-8). Markup should be stripped by the caller. Thread-safe.
std::vector<DetectedLanguage> detect_languages(std::string_view text);

// The best candidate's code, or "" when none.
std::string detect_language(std::string_view text);

}  // namespace dsinfer::translate
