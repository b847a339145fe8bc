// DeepL API v2 routes: /v2/translate, /v2/languages, /v2/usage, /v2/glossaries,
// /v2/glossary-language-pairs. DeepL's auth header, error shapes and status codes, so that the
// official DeepL clients work when pointed at dsinfer (serverUrl / server_url).
#include "server/api_error.h"
#include "server/api_keys.h"
#include "server/deepl_protocol.h"
#include "server/route_translation_common.h"
#include "server/server_context.h"

namespace dsinfer::server {
namespace {

void deepl_error(Exchange& ex, int status, const std::string& message, const Headers& h = {}) {
  ex.respond_error(static_cast<unsigned>(status), deepl_error_body(message), h);
}

// The fields of a request: the query string, then the body (JSON or form-encoded).
FormFields request_fields(const Exchange& ex) {
  const auto& req = ex.request();
  const std::string_view target(req.target().data(), req.target().size());
  const size_t q = target.find('?');
  FormFields fields;
  if (q != std::string_view::npos) fields = parse_form_urlencoded(target.substr(q + 1));
  const std::string type(req[boost::beast::http::field::content_type]);
  if (req.body().empty()) return fields;
  FormFields body = type.rfind("application/json", 0) == 0
                        ? deepl_fields_from_json(parse_json_object(req.body()))
                        : parse_form_urlencoded(req.body());
  fields.insert(fields.end(), body.begin(), body.end());
  return fields;
}

// Reads the request's fields and checks its key; answers (400 / 403) and returns false when
// the request goes no further. `key` is the account for /v2/usage ("" when keys are off).
bool admit(ServerContext& ctx, Exchange& ex, FormFields& fields, std::string& key) {
  try {
    fields = request_fields(ex);
  } catch (const Error& e) {
    deepl_error(ex, 400, e.what());
    return false;
  }
  const std::string auth(ex.request()[boost::beast::http::field::authorization]);
  key = presented_key(auth, "DeepL-Auth-Key");
  if (key.empty()) key = form_value(fields, "auth_key");  // DeepL's legacy form field
  if (ctx.api_keys.empty()) {
    key.clear();
    return true;
  }
  if (key_matches(key, ctx.api_keys)) return true;
  deepl_error(ex, 403,
              "Authorization failure, check auth_key (send Authorization: DeepL-Auth-Key KEY).");
  return false;
}

}  // namespace

void handle_deepl_translate(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  FormFields fields;
  std::string key;
  if (!admit(ctx, *ex, fields, key)) return;
  DeeplTranslateRequest request;
  try {
    request = parse_deepl_translate(fields);
  } catch (const DeeplRequestError& e) {
    deepl_error(*ex, e.status(), e.what());
    return;
  }
  std::vector<std::string> texts = std::move(request.texts);
  translate::DocumentTask task = request.task;
  translate_and_respond(ctx, ex, std::move(task), std::move(texts), std::move(key),
                        TranslationApi::kDeepl,
                        [request = std::move(request)](const auto& results) {
                          return dump_json(deepl_translations(results, request));
                        });
}

void handle_deepl_languages(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  FormFields fields;
  std::string key;
  if (!admit(ctx, *ex, fields, key)) return;
  const std::string type = form_value(fields, "type");
  if (!type.empty() && type != "source" && type != "target") {
    deepl_error(*ex, 400, "Value for 'type' not supported.");
    return;
  }
  ex->respond(200, dump_json(deepl_languages(type == "target")));
}

void handle_deepl_usage(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  FormFields fields;
  std::string key;
  if (!admit(ctx, *ex, fields, key)) return;
  // dsinfer meters but does not limit: the limit is the largest count a client can hold.
  ex->respond(200, dump_json({{"character_count", ctx.usage.characters(key)},
                              {"character_limit", int64_t{1} << 53}}));
}

void handle_deepl_glossary_pairs(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  FormFields fields;
  std::string key;
  if (!admit(ctx, *ex, fields, key)) return;
  // Any pair of base languages can be provisioned as a glossary file.
  Json pairs = Json::array();
  std::vector<std::string> bases;
  for (const auto& code : translate::supported_languages()) {
    if (translate::base_language(code) == code) bases.push_back(code);
  }
  for (const auto& s : bases) {
    for (const auto& t : bases) {
      if (s != t) pairs.push_back({{"source_lang", s}, {"target_lang", t}});
    }
  }
  ex->respond(200, dump_json({{"supported_languages", pairs}}));
}

// GET /v2/glossaries, GET /v2/glossaries/{id}, GET /v2/glossaries/{id}/entries; creating and
// deleting are refused with how glossaries are provisioned here.
void handle_deepl_glossaries(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  FormFields fields;
  std::string key;
  if (!admit(ctx, *ex, fields, key)) return;
  const auto& req = ex->request();
  const std::string_view target(req.target().data(), req.target().size());
  std::string path(target.substr(0, target.find('?')));
  const std::string method(req.method_string());
  const auto& store = *ctx.glossaries;
  if (method != "GET") {
    deepl_error(*ex, 400,
                "Glossaries are provisioned as files, not through the API: put "
                "<name>.<source>-<target>.tsv or .csv files into the directory given by "
                "--glossary-dir (in Kubernetes a ConfigMap; see docs/api.md) and restart.");
    return;
  }
  const std::string prefix = "/v2/glossaries";
  std::string rest = path.substr(prefix.size());
  if (rest.empty() || rest == "/") {
    Json list = Json::array();
    for (const auto& g : store.all()) list.push_back(deepl_glossary_info(g));
    ex->respond(200, dump_json({{"glossaries", list}}));
    return;
  }
  rest.erase(0, 1);
  const bool entries = rest.size() > 8 && rest.compare(rest.size() - 8, 8, "/entries") == 0;
  if (entries) rest.resize(rest.size() - 8);
  const translate::Glossary* g = store.find(rest);
  if (!g || rest.find('/') != std::string::npos) {
    deepl_error(*ex, 404, "Glossary not found.");
    return;
  }
  if (!entries) {
    ex->respond(200, dump_json(deepl_glossary_info(*g)));
    return;
  }
  std::string tsv;
  for (const auto& [src, dst] : g->entries) tsv += src + "\t" + dst + "\n";
  ex->respond(200, std::move(tsv), "text/tab-separated-values");
}

}  // namespace dsinfer::server
