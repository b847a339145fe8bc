// DeepL and LibreTranslate protocol pieces: form bodies with repeated fields, language codes,
// request validation with each API's own messages, response shapes.
#include <gtest/gtest.h>

#include "server/api_error.h"
#include "server/deepl_protocol.h"
#include "server/form_urlencoded.h"
#include "server/libretranslate_protocol.h"

namespace dsinfer::server {
namespace {

template <typename E>
std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

TEST(FormUrlencoded, RepeatedFieldsEscapesAndErrors) {
  const auto f = parse_form_urlencoded(
      "text=Hello%2C+world%21&text=%E4%BD%A0%E5%A5%BD&target_lang=DE&empty=&flag&&x=a%3Db");
  EXPECT_EQ(form_values(f, "text"), (std::vector<std::string>{"Hello, world!", "你好"}));
  EXPECT_EQ(form_value(f, "target_lang"), "DE");
  EXPECT_TRUE(form_has(f, "empty"));
  EXPECT_TRUE(form_has(f, "flag"));
  EXPECT_EQ(form_value(f, "x"), "a=b");
  EXPECT_EQ(form_value(f, "missing"), "");
  EXPECT_NE(message_of<FieldError>([] { parse_form_urlencoded("text=%zz"); }).find("%-escape"),
            std::string::npos);
  EXPECT_NE(message_of<FieldError>([] { parse_form_urlencoded("text=%ff%fe"); }).find("UTF-8"),
            std::string::npos);
  EXPECT_NE(message_of<FieldError>([] { parse_form_urlencoded("text=%4"); }).find("%-escape"),
            std::string::npos);
}

TEST(Deepl, ParsesWhatTheNodeClientSends) {
  const auto r = parse_deepl_translate(parse_form_urlencoded(
      "text=a&text=b&source_lang=EN&target_lang=EN-GB&tag_handling=html&ignore_tags=code,pre"
      "&formality=prefer_more&glossary_id=acme.en-de&context=ctx&show_billed_characters=1"
      "&split_sentences=nonewlines&preserve_formatting=true"));
  EXPECT_EQ(r.texts, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.task.source_lang, "en");
  EXPECT_EQ(r.task.target_lang, "en-GB");
  EXPECT_EQ(r.task.format, translate::TextFormat::kHtml);
  EXPECT_EQ(r.task.markup.ignore_tags, (std::vector<std::string>{"code", "pre"}));
  EXPECT_EQ(r.task.formality, translate::Formality::kMore);
  EXPECT_EQ(r.task.glossary_id, "acme.en-de");
  EXPECT_EQ(r.task.context, "ctx");
  EXPECT_TRUE(r.show_billed_characters);
  EXPECT_TRUE(r.task.preserve_formatting);
  EXPECT_EQ(r.task.split, translate::SentenceSplit::kNoNewlines);

  const auto j = parse_deepl_translate(deepl_fields_from_json(Json::parse(
      R"({"text": ["x", "y", "z"], "target_lang": "zh-hans", "non_splitting_tags": ["b", "i"],
          "show_billed_characters": false})")));
  EXPECT_EQ(j.texts.size(), 3u);
  EXPECT_EQ(j.task.target_lang, "zh-Hans");
  EXPECT_EQ(j.task.markup.non_splitting_tags, (std::vector<std::string>{"b", "i"}));
  EXPECT_FALSE(j.show_billed_characters);
  EXPECT_FALSE(j.task.preserve_formatting) << "DeepL's default: 0";
  EXPECT_EQ(j.task.split, translate::SentenceSplit::kSentences) << "DeepL's default for text: 1";
  const auto split = [](const std::string& extra) {
    return parse_deepl_translate(parse_form_urlencoded("text=a&target_lang=DE" + extra)).task.split;
  };
  EXPECT_EQ(split("&split_sentences=0"), translate::SentenceSplit::kNone);
  EXPECT_EQ(split("&split_sentences=1&tag_handling=html"), translate::SentenceSplit::kSentences);
  EXPECT_EQ(split("&tag_handling=xml"), translate::SentenceSplit::kNoNewlines)
      << "DeepL's default with tag_handling: nonewlines";
}

TEST(Deepl, RefusesWithDeeplMessages) {
  auto refuse = [](const std::string& body) {
    try {
      parse_deepl_translate(parse_form_urlencoded(body));
    } catch (const DeeplRequestError& e) {
      return std::to_string(e.status()) + " " + e.what();
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refuse("target_lang=DE"), "400 Parameter 'text' not specified.");
  EXPECT_EQ(refuse("text=a"), "400 Parameter 'target_lang' not specified.");
  EXPECT_EQ(refuse("text=a&target_lang=XX"), "400 Value for 'target_lang' not supported.");
  EXPECT_EQ(refuse("text=a&target_lang=DE&source_lang=QQ"),
            "400 Value for 'source_lang' not supported.");
  EXPECT_EQ(refuse("text=a&target_lang=DE&tag_handling=markdown"),
            "400 Value for 'tag_handling' not supported.");
  EXPECT_EQ(refuse("text=a&target_lang=DE&formality=very"),
            "400 Value for 'formality' not supported.");
  EXPECT_EQ(refuse("text=a&target_lang=EN-US&formality=more"),
            "400 'formality' is not supported for the given 'target_lang'.");
  EXPECT_EQ(refuse("text=a&target_lang=EN-US&formality=prefer_more"), "accepted");
  EXPECT_EQ(refuse("text=a&target_lang=DE&preserve_formatting=yes"),
            "400 Value for 'preserve_formatting' not supported (expected 0 or 1, got 'yes').");
  EXPECT_EQ(refuse("text=a&target_lang=DE&split_sentences=2"),
            "400 Value for 'split_sentences' not supported (expected 0, 1 or nonewlines, got "
            "'2').");
  EXPECT_EQ(refuse("text=a&target_lang=DE&split_sentences="),
            "400 Value for 'split_sentences' not supported (expected 0, 1 or nonewlines, got "
            "'').");
  std::string many = "target_lang=DE";
  for (int i = 0; i < 51; ++i) many += "&text=t";
  EXPECT_EQ(refuse(many).substr(0, 4), "413 ");
  EXPECT_THROW(deepl_fields_from_json(Json::parse(R"({"text": [{"a": 1}]})")), DeeplRequestError);
}

TEST(Deepl, LanguagesAndResponses) {
  EXPECT_EQ(deepl_language_code("en-US", false), "EN");
  EXPECT_EQ(deepl_language_code("zh-Hans", true), "ZH-HANS");
  const Json source = deepl_languages(false);
  const Json target = deepl_languages(true);
  bool has_en_us = false;
  for (const auto& l : target) has_en_us |= l["language"] == "EN-US";
  EXPECT_TRUE(has_en_us);
  for (const auto& l : source) {
    EXPECT_EQ(l["language"].get<std::string>().find('-'), std::string::npos) << l;
    EXPECT_FALSE(l.contains("supports_formality"));
  }
  DeeplTranslateRequest req;
  req.show_billed_characters = true;
  translate::DocumentResult r;
  r.translation = "Hallo";
  r.detected_source_lang = "zh-Hant";
  r.billed_characters = 5;
  const Json out = deepl_translations({r}, req);
  EXPECT_EQ(out["translations"][0]["detected_source_language"], "ZH");
  EXPECT_EQ(out["translations"][0]["text"], "Hallo");
  EXPECT_EQ(out["translations"][0]["billed_characters"], 5);
  EXPECT_EQ(deepl_error_body("x"), R"({"message":"x"})");
}

TEST(LibreTranslate, RequestsResponsesAndErrors) {
  const Json body = libretranslate_body(R"({"q": ["a", "b"], "source": "auto", "target": "ES",
                                            "format": "html", "api_key": "k"})",
                                        "application/json");
  const auto r = parse_libretranslate_translate(body, 64);
  EXPECT_TRUE(r.batch);
  EXPECT_EQ(r.texts.size(), 2u);
  EXPECT_EQ(r.task.source_lang, "");
  EXPECT_EQ(r.task.target_lang, "es");
  EXPECT_EQ(r.task.format, translate::TextFormat::kHtml);
  EXPECT_EQ(r.api_key, "k");
  const Json form = libretranslate_body("q=hola&q=adios&source=es&target=en",
                                        "application/x-www-form-urlencoded");
  EXPECT_EQ(form["q"], Json::array({"hola", "adios"}));

  auto refuse = [](const std::string& json) {
    return message_of<LibreRequestError>(
        [&] { parse_libretranslate_translate(libretranslate_body(json, "application/json"), 2); });
  };
  EXPECT_EQ(refuse(R"({"target": "en"})"), "Invalid request: missing q parameter");
  EXPECT_EQ(refuse(R"({"q": "x"})"), "Invalid request: missing target parameter");
  EXPECT_EQ(refuse(R"({"q": "x", "target": "xx"})"), "xx is not supported");
  EXPECT_EQ(refuse(R"({"q": ["a", "b", "c"], "target": "en"})").substr(0, 16), "Invalid request:");
  EXPECT_EQ(refuse(R"({"q": 5, "target": "en"})").substr(0, 16), "Invalid request:");
  EXPECT_EQ(refuse("not json").substr(0, 16), "Invalid request:");

  translate::DocumentResult res;
  res.translation = "hello";
  res.detected_source_lang = "es";
  res.detected_confidence = 0.93;
  LibreTranslateRequest single;
  const Json out = libretranslate_translation({res}, single);
  EXPECT_EQ(out["translatedText"], "hello");
  EXPECT_EQ(out["detectedLanguage"]["language"], "es");
  EXPECT_DOUBLE_EQ(out["detectedLanguage"]["confidence"].get<double>(), 93.0);

  const Json langs = libretranslate_languages();
  ASSERT_GT(langs.size(), 8u);
  EXPECT_TRUE(langs[0].contains("targets"));
  const Json d = libretranslate_detect("Das ist ein ganz normaler deutscher Satz über das Wetter.");
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0]["language"], "de");
  EXPECT_EQ(libretranslate_error_body("bad"), R"({"error":"bad"})");
}

}  // namespace
}  // namespace dsinfer::server
