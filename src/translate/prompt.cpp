// Language table and the translation instruction.
#include "translate/prompt.h"

#include <utility>

#include "base/error.h"

namespace dsinfer::translate {
namespace {

const std::vector<std::pair<std::string, std::string>>& languages() {
  static const std::vector<std::pair<std::string, std::string>> kLanguages = {
      {"ar", "Arabic"},     {"de", "German"},     {"en", "English"},    {"es", "Spanish"},
      {"fr", "French"},     {"hi", "Hindi"},      {"id", "Indonesian"}, {"it", "Italian"},
      {"ja", "Japanese"},   {"ko", "Korean"},     {"nl", "Dutch"},      {"pl", "Polish"},
      {"pt", "Portuguese"}, {"ru", "Russian"},    {"th", "Thai"},       {"tr", "Turkish"},
      {"uk", "Ukrainian"},  {"vi", "Vietnamese"}, {"zh", "Chinese"},
  };
  return kLanguages;
}

}  // namespace

std::vector<std::string> supported_languages() {
  std::vector<std::string> out;
  for (const auto& [code, name] : languages()) out.push_back(code);
  return out;
}

std::string language_name(const std::string& code) {
  for (const auto& [c, name] : languages()) {
    if (c == code) return name;
  }
  std::string list;
  for (const auto& c : supported_languages()) list += (list.empty() ? "" : ", ") + c;
  fail(ErrorKind::kInvalidInput, "unsupported language code '{}' (supported: {})", code, list);
}

std::vector<ChatTurn> translation_messages(const TranslationTask& task, const std::string& text) {
  const std::string target = language_name(task.target_lang);
  std::string instruction = "You are a professional translator. Translate the user's text ";
  instruction += task.source_lang.empty() ? "" : "from " + language_name(task.source_lang) + " ";
  instruction += "into " + target +
                 ". Keep the meaning, tone and formatting. Reply with the translation only, "
                 "without notes or explanations.";
  if (!task.glossary.empty()) {
    instruction += "\nAlways translate these terms as given:";
    for (const auto& [src, dst] : task.glossary) instruction += "\n- " + src + " => " + dst;
  }
  return {{"system", instruction}, {"user", text}};
}

}  // namespace dsinfer::translate
