// LibreTranslate API routes: POST /translate, GET /languages, POST /detect, with its
// {"error": ...} bodies and the key in the body's `api_key`.
#include "server/api_error.h"
#include "server/api_keys.h"
#include "server/libretranslate_protocol.h"
#include "server/route_translation_common.h"
#include "server/server_context.h"

namespace dsinfer::server {
namespace {

constexpr size_t kMaxTexts = 128;

// The body as JSON, and the key checked; answers (400 / 403) and returns false when the request
// goes no further. `key` is the account for usage ("" when keys are off).
bool admit(ServerContext& ctx, Exchange& ex, Json& body, std::string& key) {
  try {
    const std::string type(ex.request()[boost::beast::http::field::content_type]);
    body = libretranslate_body(ex.request().body(), type);
  } catch (const Error& e) {
    answer_translation_error(ex, TranslationApi::kLibreTranslate, 400, e.what());
    return false;
  }
  const auto it = body.find("api_key");
  key = it != body.end() && it->is_string() ? it->get<std::string>() : "";
  if (ctx.api_keys.empty()) {
    key.clear();
    return true;
  }
  if (key_matches(key, ctx.api_keys)) return true;
  answer_translation_error(ex, TranslationApi::kLibreTranslate, 403,
                           key.empty() ? "Missing api_key" : "Invalid API key");
  return false;
}

}  // namespace

void handle_libretranslate_translate(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  Json body;
  std::string key;
  if (!admit(ctx, *ex, body, key)) return;
  LibreTranslateRequest request;
  try {
    request = parse_libretranslate_translate(body, kMaxTexts);
  } catch (const Error& e) {
    answer_translation_error(*ex, TranslationApi::kLibreTranslate, 400, e.what());
    return;
  }
  std::vector<std::string> texts = std::move(request.texts);
  translate::DocumentTask task = request.task;
  translate_and_respond(ctx, ex, std::move(task), std::move(texts), std::move(key),
                        TranslationApi::kLibreTranslate,
                        [request = std::move(request)](const auto& results) {
                          return dump_json(libretranslate_translation(results, request));
                        });
}

void handle_libretranslate_languages(ServerContext&, const std::shared_ptr<Exchange>& ex) {
  ex->respond(200, dump_json(libretranslate_languages()));
}

void handle_libretranslate_detect(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  Json body;
  std::string key;
  if (!admit(ctx, *ex, body, key)) return;
  const auto q = body.find("q");
  if (q == body.end() || !q->is_string()) {
    answer_translation_error(*ex, TranslationApi::kLibreTranslate, 400,
                             "Invalid request: missing q parameter");
    return;
  }
  ex->respond(200, dump_json(libretranslate_detect(q->get<std::string>())));
}

}  // namespace dsinfer::server
