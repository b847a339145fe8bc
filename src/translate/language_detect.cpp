// CLD2 behind a small interface: maps CLD2's language enum to our codes.
#include "translate/language_detect.h"

#include <cstdio>  // before CLD2's header, which uses FILE without including it

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include <algorithm>

namespace dsinfer::translate {

std::vector<DetectedLanguage> detect_languages(std::string_view text) {
  // NOTE: CLD2 needs only a sample: the first 64 KiB decide. Without kCLDFlagBestEffort it
  // answers "unknown" for some ordinary 30-character Chinese sentences (its CJK scoring drops
  // them as too short); with it, `reliable` still tells a confident answer from a guess.
  constexpr size_t kSample = 64 * 1024;
  std::string_view sample = text.substr(0, std::min(text.size(), kSample));
  // Do not cut a UTF-8 sequence in half at the sample's end.
  while (sample.size() < text.size() && !sample.empty() &&
         (static_cast<unsigned char>(text[sample.size()]) & 0xC0) == 0x80) {
    sample.remove_suffix(1);
  }
  CLD2::CLDHints hints{nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  CLD2::Language lang3[3];
  int percent3[3];
  double score3[3];
  int text_bytes = 0;
  bool reliable = false;
  int valid_prefix = 0;
  CLD2::ExtDetectLanguageSummaryCheckUTF8(sample.data(), static_cast<int>(sample.size()), true,
                                          &hints, CLD2::kCLDFlagBestEffort, lang3, percent3, score3,
                                          nullptr, &text_bytes, &reliable, &valid_prefix);
  std::vector<DetectedLanguage> out;
  if (valid_prefix < static_cast<int>(sample.size())) return out;
  for (int k = 0; k < 3; ++k) {
    if (lang3[k] == CLD2::UNKNOWN_LANGUAGE || lang3[k] == CLD2::TG_UNKNOWN_LANGUAGE ||
        percent3[k] <= 0) {
      continue;
    }
    const char* code = CLD2::LanguageCode(lang3[k]);
    if (code == nullptr || *code == '\0') continue;
    double confidence = percent3[k] / 100.0;
    if (!reliable) confidence *= 0.5;
    out.push_back({code, confidence, reliable && k == 0});
  }
  return out;
}

std::string detect_language(std::string_view text) {
  const auto found = detect_languages(text);
  return found.empty() ? "" : found.front().code;
}

}  // namespace dsinfer::translate
