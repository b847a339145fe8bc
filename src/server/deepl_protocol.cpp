// DeepL request parsing and response shapes.
#include "server/deepl_protocol.h"

#include <chrono>
#include <ctime>
#include <set>

#include <fmt/format.h>

namespace dsinfer::server {
namespace {

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

bool truthy(const std::string& field, const std::string& v) {
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false" || v.empty()) return false;
  throw DeeplRequestError(
      400, fmt::format("Value for '{}' not supported (expected 0 or 1, got '{}').", field, v));
}

// DeepL's tag lists: comma-separated in a form, one field per item from a JSON array.
std::vector<std::string> tag_list(const FormFields& fields, const char* name) {
  std::vector<std::string> out;
  for (const auto& v : form_values(fields, name)) {
    size_t start = 0;
    while (start <= v.size()) {
      size_t end = v.find(',', start);
      if (end == std::string::npos) end = v.size();
      std::string tag = v.substr(start, end - start);
      tag.erase(0, tag.find_first_not_of(' '));
      tag.erase(tag.find_last_not_of(' ') + 1);
      if (!tag.empty()) out.push_back(tag);
      start = end + 1;
    }
  }
  return out;
}

// The T-V distinction DeepL's `formality` applies to.
bool supports_formality(const std::string& base) {
  static const std::set<std::string> kFormal = {"de", "es", "fr", "it", "ja",
                                                "nl", "pl", "pt", "ru"};
  return kFormal.count(base) > 0;
}

}  // namespace

FormFields deepl_fields_from_json(const Json& body) {
  FormFields out;
  auto scalar = [](const std::string& key, const Json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
    if (v.is_number()) return v.dump();
    throw DeeplRequestError(400, fmt::format("Value for '{}' not supported.", key));
  };
  for (const auto& [key, value] : body.items()) {
    if (value.is_null()) continue;
    if (value.is_array()) {
      for (const auto& item : value) out.emplace_back(key, scalar(key, item));
    } else {
      out.emplace_back(key, scalar(key, value));
    }
  }
  return out;
}

DeeplTranslateRequest parse_deepl_translate(const FormFields& fields) {
  DeeplTranslateRequest r;
  r.texts = form_values(fields, "text");
  if (r.texts.empty()) throw DeeplRequestError(400, "Parameter 'text' not specified.");
  if (r.texts.size() > kDeeplMaxTexts) {
    throw DeeplRequestError(413, fmt::format("Too many texts: {} (at most {} per request).",
                                             r.texts.size(), kDeeplMaxTexts));
  }
  auto& t = r.task;
  const std::string target = form_value(fields, "target_lang");
  if (target.empty()) throw DeeplRequestError(400, "Parameter 'target_lang' not specified.");
  try {
    t.target_lang = translate::canonical_language(target);
  } catch (const Error&) {
    throw DeeplRequestError(400, "Value for 'target_lang' not supported.");
  }
  const std::string source = form_value(fields, "source_lang");
  if (!source.empty()) {
    try {
      t.source_lang = translate::canonical_language(source);
    } catch (const Error&) {
      throw DeeplRequestError(400, "Value for 'source_lang' not supported.");
    }
  }
  const std::string tags = form_value(fields, "tag_handling");
  if (tags == "html") {
    t.format = translate::TextFormat::kHtml;
  } else if (tags == "xml") {
    t.format = translate::TextFormat::kXml;
  } else if (!tags.empty()) {
    throw DeeplRequestError(400, "Value for 'tag_handling' not supported.");
  }
  t.markup.ignore_tags = tag_list(fields, "ignore_tags");
  t.markup.non_splitting_tags = tag_list(fields, "non_splitting_tags");
  t.markup.splitting_tags = tag_list(fields, "splitting_tags");
  const std::string formality = form_value(fields, "formality");
  if (formality == "more" || formality == "prefer_more") {
    t.formality = translate::Formality::kMore;
  } else if (formality == "less" || formality == "prefer_less") {
    t.formality = translate::Formality::kLess;
  } else if (!formality.empty() && formality != "default") {
    throw DeeplRequestError(400, "Value for 'formality' not supported.");
  }
  if ((formality == "more" || formality == "less") &&
      !supports_formality(translate::base_language(t.target_lang))) {
    throw DeeplRequestError(400, "'formality' is not supported for the given 'target_lang'.");
  }
  // DeepL's defaults: "1" for text, "nonewlines" with tag_handling (markup units are translated
  // whole in every mode: their inline tags may span sentences).
  const std::string split = form_has(fields, "split_sentences")
                                ? form_value(fields, "split_sentences")
                                : (tags.empty() ? "1" : "nonewlines");
  if (split == "1") {
    t.split = translate::SentenceSplit::kSentences;
  } else if (split == "0") {
    t.split = translate::SentenceSplit::kNone;
  } else if (split == "nonewlines") {
    t.split = translate::SentenceSplit::kNoNewlines;
  } else {
    throw DeeplRequestError(
        400, fmt::format("Value for 'split_sentences' not supported (expected 0, 1 or "
                         "nonewlines, got '{}').",
                         split));
  }
  t.preserve_formatting = truthy("preserve_formatting", form_value(fields, "preserve_formatting"));
  truthy("outline_detection",
         form_has(fields, "outline_detection") ? form_value(fields, "outline_detection") : "1");
  r.show_billed_characters =
      truthy("show_billed_characters", form_value(fields, "show_billed_characters"));
  t.glossary_id = form_value(fields, "glossary_id");
  t.context = form_value(fields, "context");
  return r;
}

std::string deepl_language_code(const std::string& canonical, bool regional) {
  return upper(regional ? canonical : translate::base_language(canonical));
}

Json deepl_languages(bool target) {
  Json out = Json::array();
  std::set<std::string> seen;
  for (const auto& code : translate::supported_languages()) {
    const std::string base = translate::base_language(code);
    if (!target && code != base) continue;  // source languages have no variants
    if (!seen.insert(code).second) continue;
    Json lang = {{"language", deepl_language_code(code, true)},
                 {"name", translate::language_name(code)}};
    if (target) lang["supports_formality"] = supports_formality(base);
    out.push_back(std::move(lang));
  }
  return out;
}

std::string deepl_error_body(const std::string& message) {
  return Json{{"message", message}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json deepl_translations(const std::vector<translate::DocumentResult>& results,
                        const DeeplTranslateRequest& request) {
  Json list = Json::array();
  for (const auto& r : results) {
    const std::string source =
        !request.task.source_lang.empty() ? request.task.source_lang : r.detected_source_lang;
    Json t = {
        {"detected_source_language", source.empty() ? "" : deepl_language_code(source, false)},
        {"text", r.translation}};
    if (request.show_billed_characters) t["billed_characters"] = r.billed_characters;
    list.push_back(std::move(t));
  }
  return Json{{"translations", std::move(list)}};
}

Json deepl_glossary_info(const translate::Glossary& g) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(g.created);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char created[32];
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {{"glossary_id", g.id},
          {"name", g.name},
          {"ready", true},
          {"source_lang", g.source_lang},
          {"target_lang", g.target_lang},
          {"creation_time", created},
          {"entry_count", g.entries.size()}};
}

}  // namespace dsinfer::server
