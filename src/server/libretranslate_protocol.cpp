// LibreTranslate request parsing and response shapes.
#include "server/libretranslate_protocol.h"

#include <cmath>

#include <fmt/format.h>

#include "translate/language_detect.h"

namespace dsinfer::server {
namespace {

double percent(double confidence) { return std::round(confidence * 1000.0) / 10.0; }

std::string lt_code(const std::string& canonical) { return canonical; }

}  // namespace

Json libretranslate_body(const std::string& body, const std::string& content_type) {
  if (content_type.rfind("application/x-www-form-urlencoded", 0) == 0 ||
      content_type.rfind("multipart/form-data", 0) == 0) {
    if (content_type.rfind("multipart/", 0) == 0) {
      throw LibreRequestError(
          "multipart/form-data bodies are not supported: send JSON or "
          "application/x-www-form-urlencoded");
    }
    Json out = Json::object();
    for (auto& [k, v] : parse_form_urlencoded(body)) {
      if (k == "q" && out.contains("q")) {
        if (!out["q"].is_array()) out["q"] = Json::array({out["q"]});
        out["q"].push_back(v);
      } else {
        out[k] = v;
      }
    }
    return out;
  }
  try {
    return parse_json_object(body);
  } catch (const Error& e) {
    throw LibreRequestError(fmt::format("Invalid request: {}", e.what()));
  }
}

LibreTranslateRequest parse_libretranslate_translate(const Json& body, size_t max_texts) {
  LibreTranslateRequest r;
  const auto q = body.find("q");
  if (q == body.end() || q->is_null())
    throw LibreRequestError("Invalid request: missing q parameter");
  if (q->is_string()) {
    r.texts.push_back(q->get<std::string>());
  } else if (q->is_array()) {
    r.batch = true;
    for (const auto& item : *q) {
      if (!item.is_string()) throw LibreRequestError("Invalid request: q items must be strings");
      r.texts.push_back(item.get<std::string>());
    }
    if (r.texts.empty()) throw LibreRequestError("Invalid request: q is an empty array");
  } else {
    throw LibreRequestError("Invalid request: q must be a string or an array of strings");
  }
  if (r.texts.size() > max_texts) {
    throw LibreRequestError(fmt::format("Invalid request: {} texts; at most {} per request",
                                        r.texts.size(), max_texts));
  }
  auto str = [&](const char* key) -> std::string {
    const auto it = body.find(key);
    if (it == body.end() || it->is_null()) return "";
    if (!it->is_string())
      throw LibreRequestError(fmt::format("Invalid request: {} must be a string", key));
    return it->get<std::string>();
  };
  const std::string source = str("source");
  const std::string target = str("target");
  if (target.empty()) throw LibreRequestError("Invalid request: missing target parameter");
  try {
    r.task.target_lang = translate::canonical_language(target);
  } catch (const Error&) {
    throw LibreRequestError(fmt::format("{} is not supported", target));
  }
  if (!source.empty() && source != "auto") {
    try {
      r.task.source_lang = translate::canonical_language(source);
    } catch (const Error&) {
      throw LibreRequestError(fmt::format("{} is not supported", source));
    }
  }
  const std::string format = str("format");
  if (format == "html") {
    r.task.format = translate::TextFormat::kHtml;
  } else if (!format.empty() && format != "text") {
    throw LibreRequestError(
        fmt::format("Invalid request: format must be text or html, not {}", format));
  }
  r.task.glossary_id = str("glossary_id");  // dsinfer's extension: a provisioned glossary
  r.api_key = str("api_key");
  return r;
}

Json libretranslate_translation(const std::vector<translate::DocumentResult>& results,
                                const LibreTranslateRequest& request) {
  const bool detect = request.task.source_lang.empty();
  auto detected = [](const translate::DocumentResult& r) {
    return Json{
        {"confidence", percent(r.detected_confidence)},
        {"language", r.detected_source_lang.empty() ? "" : lt_code(r.detected_source_lang)}};
  };
  Json out = Json::object();
  if (request.batch) {
    Json texts = Json::array();
    Json langs = Json::array();
    for (const auto& r : results) {
      texts.push_back(r.translation);
      langs.push_back(detected(r));
    }
    out["translatedText"] = std::move(texts);
    if (detect) out["detectedLanguage"] = std::move(langs);
  } else {
    out["translatedText"] = results.at(0).translation;
    if (detect) out["detectedLanguage"] = detected(results.at(0));
  }
  return out;
}

Json libretranslate_languages() {
  Json out = Json::array();
  const auto codes = translate::supported_languages();
  for (const auto& code : codes) {
    Json targets = Json::array();
    for (const auto& t : codes) {
      if (t != code) targets.push_back(lt_code(t));
    }
    out.push_back(
        {{"code", lt_code(code)}, {"name", translate::language_name(code)}, {"targets", targets}});
  }
  return out;
}

Json libretranslate_detect(const std::string& text) {
  Json out = Json::array();
  for (const auto& d : translate::detect_languages(text)) {
    out.push_back({{"confidence", percent(d.confidence)}, {"language", d.code}});
  }
  return out;
}

std::string libretranslate_error_body(const std::string& message) {
  return Json{{"error", message}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace dsinfer::server
