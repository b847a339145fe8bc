// Language table and the translation instruction.
#include "translate/prompt.h"

#include <cctype>
#include <utility>

#include "base/error.h"

namespace dsinfer::translate {
namespace {

const std::vector<std::pair<std::string, std::string>>& languages() {
  static const std::vector<std::pair<std::string, std::string>> kLanguages = {
      {"ar", "Arabic"},
      {"bg", "Bulgarian"},
      {"cs", "Czech"},
      {"da", "Danish"},
      {"de", "German"},
      {"el", "Greek"},
      {"en", "English"},
      {"en-GB", "British English"},
      {"en-US", "American English"},
      {"es", "Spanish"},
      {"et", "Estonian"},
      {"fi", "Finnish"},
      {"fr", "French"},
      {"hi", "Hindi"},
      {"hu", "Hungarian"},
      {"id", "Indonesian"},
      {"it", "Italian"},
      {"ja", "Japanese"},
      {"ko", "Korean"},
      {"lt", "Lithuanian"},
      {"lv", "Latvian"},
      {"nb", "Norwegian (Bokmål)"},
      {"nl", "Dutch"},
      {"pl", "Polish"},
      {"pt", "Portuguese"},
      {"pt-BR", "Brazilian Portuguese"},
      {"pt-PT", "European Portuguese"},
      {"ro", "Romanian"},
      {"ru", "Russian"},
      {"sk", "Slovak"},
      {"sl", "Slovenian"},
      {"sv", "Swedish"},
      {"th", "Thai"},
      {"tr", "Turkish"},
      {"uk", "Ukrainian"},
      {"vi", "Vietnamese"},
      {"zh", "Chinese"},
      {"zh-Hans", "Simplified Chinese"},
      {"zh-Hant", "Traditional Chinese"},
  };
  return kLanguages;
}

}  // namespace

std::vector<std::string> supported_languages() {
  std::vector<std::string> out;
  for (const auto& [code, name] : languages()) out.push_back(code);
  return out;
}

std::string canonical_language(std::string_view code) {
  const auto same = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  };
  for (const auto& [c, name] : languages()) {
    if (same(c, code)) return c;
  }
  std::string list;
  for (const auto& c : supported_languages()) list += (list.empty() ? "" : ", ") + c;
  fail(ErrorKind::kInvalidInput, "unsupported language code '{}' (supported: {})", code, list);
}

std::string language_name(const std::string& code) {
  const std::string c = canonical_language(code);
  for (const auto& [k, name] : languages()) {
    if (k == c) return name;
  }
  return c;  // unreachable: canonical_language returned a table code
}

std::string base_language(std::string_view code) {
  return std::string(code.substr(0, code.find('-')));
}

std::vector<ChatTurn> translation_messages(const TranslationTask& task, const std::string& text) {
  const std::string target = language_name(task.target_lang);
  std::string instruction = "You are a professional translator. Translate the user's text ";
  instruction += task.source_lang.empty() ? "" : "from " + language_name(task.source_lang) + " ";
  instruction += "into " + target +
                 ". Keep the meaning, tone and formatting. Reply with the translation only, "
                 "without notes or explanations.";
  if (task.formality != Formality::kDefault) {
    instruction += task.formality == Formality::kMore
                       ? " Use a formal, polite register (formal forms of address)."
                       : " Use an informal, familiar register (informal forms of address).";
  }
  if (task.placeholders) {
    instruction +=
        "\nThe text contains markup placeholders: <gN>…</gN> around words and <xN/> for "
        "inline elements. Keep every placeholder exactly once, unchanged, around the "
        "corresponding translated words.";
  }
  if (!task.context.empty()) {
    instruction +=
        "\nContext for the translation (do not translate it, do not repeat it):\n" + task.context;
  }
  if (!task.glossary.empty()) {
    instruction += "\nAlways translate these terms as given:";
    for (const auto& [src, dst] : task.glossary) instruction += "\n- " + src + " => " + dst;
  }
  return {{"system", instruction}, {"user", text}};
}

}  // namespace dsinfer::translate
