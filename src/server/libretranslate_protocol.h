// LibreTranslate's JSON API as pure functions: /translate and /detect request fields to a task,
// /languages, responses and {"error": ...} bodies. Bodies may be JSON or form-encoded (the
// LibreTranslate server accepts both). Reference: LibreTranslate API documentation.
#pragma once

#include <string>
#include <vector>

#include "server/form_urlencoded.h"
#include "server/json_fields.h"
#include "translate/document_translator.h"

namespace dsinfer::server {

// LibreTranslate's request errors: 400 with {"error": message}.
class LibreRequestError : public Error {
 public:
  explicit LibreRequestError(const std::string& message)
      : Error(ErrorKind::kInvalidInput, message) {}
};

struct LibreTranslateRequest {
  std::vector<std::string> texts;
  bool batch = false;  // `q` was an array: answers are arrays too
  translate::DocumentTask task;
  std::string api_key;
};

// The body as JSON: a JSON object as it is, a form as an object of strings (a repeated `q`
// becomes an array). Throws LibreRequestError for anything else.
Json libretranslate_body(const std::string& body, const std::string& content_type);

// Throws LibreRequestError ("Invalid request: missing q parameter", "xx is not supported").
LibreTranslateRequest parse_libretranslate_translate(const Json& body, size_t max_texts);

// {"translatedText": ..., "detectedLanguage": ...} (detectedLanguage only for source "auto").
Json libretranslate_translation(const std::vector<translate::DocumentResult>& results,
                                const LibreTranslateRequest& request);

// GET /languages: [{"code", "name", "targets"}].
Json libretranslate_languages();

// POST /detect: [{"confidence" (0..100), "language"}], best first.
Json libretranslate_detect(const std::string& text);

std::string libretranslate_error_body(const std::string& message);

}  // namespace dsinfer::server
