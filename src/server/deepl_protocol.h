// DeepL API v2 as pure functions: request fields (form or JSON) to a translation task, language
// codes both ways, response and error bodies. The routes (route_deepl.cpp) add HTTP and auth.
// Reference: DeepL API v2 documentation (translate, languages, usage, glossaries).
#pragma once

#include <string>
#include <vector>

#include "server/form_urlencoded.h"
#include "server/json_fields.h"
#include "translate/document_translator.h"

namespace dsinfer::server {

constexpr size_t kDeeplMaxTexts = 50;

// A request field DeepL would refuse: 400 {"message": ...}, or 413 for too many texts.
class DeeplRequestError : public Error {
 public:
  DeeplRequestError(int status, const std::string& message)
      : Error(ErrorKind::kInvalidInput, message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct DeeplTranslateRequest {
  std::vector<std::string> texts;
  translate::DocumentTask task;
  bool show_billed_characters = false;
};

// A JSON body's fields as form fields: strings as they are, arrays as repeated fields, booleans
// as "1"/"0", numbers as written. Throws DeeplRequestError for nested objects.
FormFields deepl_fields_from_json(const Json& body);

// Throws DeeplRequestError with DeepL's messages ("Parameter 'text' not specified.", "Value for
// 'target_lang' not supported.").
DeeplTranslateRequest parse_deepl_translate(const FormFields& fields);

// "EN" for en / en-US when `regional` is false; "EN-US", "ZH-HANS" when true.
std::string deepl_language_code(const std::string& canonical, bool regional);

// GET /v2/languages?type=source|target
Json deepl_languages(bool target);

// {"message": ...}
std::string deepl_error_body(const std::string& message);

// {"translations": [...]} for the results of one request.
Json deepl_translations(const std::vector<translate::DocumentResult>& results,
                        const DeeplTranslateRequest& request);

// One glossary's description (GET /v2/glossaries, /v2/glossaries/{id}).
Json deepl_glossary_info(const translate::Glossary& glossary);

}  // namespace dsinfer::server
