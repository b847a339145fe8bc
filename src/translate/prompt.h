// Translation instructions: language names, glossary, and the chat messages sent to the model.
// The instruction comes first and is identical for every segment of a language pair (and
// glossary), so the engine's prefix cache computes it once.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsinfer::translate {

struct ChatTurn {
  std::string role;  // "system" | "user"
  std::string content;
};

enum class Formality { kDefault, kMore, kLess };

struct TranslationTask {
  TranslationTask() = default;
  TranslationTask(std::string source, std::string target,
                  std::map<std::string, std::string> terms = {})
      : source_lang(std::move(source)),
        target_lang(std::move(target)),
        glossary(std::move(terms)) {}

  std::string source_lang;                      // canonical code, or "" = unknown
  std::string target_lang;                      // canonical code (required)
  std::map<std::string, std::string> glossary;  // source term -> target term
  bool placeholders = false;  // the text carries markup placeholders <gN>…</gN>, <xN/>
  std::string context;        // steers the translation; never translated itself
  Formality formality = Formality::kDefault;
};

// English name of a language code ("zh" -> "Chinese", "pt-BR" -> "Brazilian Portuguese");
// case-insensitive; throws Error(kInvalidInput) listing the supported codes for an unknown one.
std::string language_name(const std::string& code);
// The code as the table writes it ("EN-us" -> "en-US", "zh-hans" -> "zh-Hans"); throws as
// language_name does.
std::string canonical_language(std::string_view code);
// The language without its region or script ("en-US" -> "en").
std::string base_language(std::string_view code);
// Every code, base languages and regional/script variants, in table order.
std::vector<std::string> supported_languages();

// Messages for one segment: a system turn with the fixed instruction (and glossary) followed by
// the user turn holding only the segment text.
std::vector<ChatTurn> translation_messages(const TranslationTask& task, const std::string& text);

}  // namespace dsinfer::translate
