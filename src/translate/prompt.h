// Translation instructions: language names, glossary, and the chat messages sent to the model.
// The instruction comes first and is identical for every segment of a language pair (and
// glossary), so the engine's prefix cache computes it once.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dsinfer::translate {

struct ChatTurn {
  std::string role;  // "system" | "user"
  std::string content;
};

struct TranslationTask {
  std::string source_lang;                      // ISO 639-1 code, or "" = detect
  std::string target_lang;                      // ISO 639-1 code (required)
  std::map<std::string, std::string> glossary;  // source term -> target term
};

// English name of an ISO 639-1 code ("zh" -> "Chinese"); throws Error(kInvalidInput) listing the
// supported codes for an unknown one.
std::string language_name(const std::string& code);
std::vector<std::string> supported_languages();

// Messages for one segment: a system turn with the fixed instruction (and glossary) followed by
// the user turn holding only the segment text.
std::vector<ChatTurn> translation_messages(const TranslationTask& task, const std::string& text);

}  // namespace dsinfer::translate
