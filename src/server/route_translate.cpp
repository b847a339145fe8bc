// POST /v1/translate: dsinfer's own translation API over the shared document core (the one the
// DeepL and LibreTranslate routes use): one text or a batch, plain text / HTML / XML, the source
// language detected when absent, glossaries by id and inline; answered as JSON or streamed as SSE
// pieces in order.
#include <cmath>
#include <mutex>

#include <fmt/format.h>

#include "base/limit_error.h"
#include "server/answer_error.h"
#include "server/api_error.h"
#include "server/api_keys.h"
#include "server/json_fields.h"
#include "server/route_translation_common.h"
#include "server/server_context.h"

namespace dsinfer::server {
namespace {

struct TranslateState {
  std::mutex mu;
  std::shared_ptr<Exchange> ex;
  bool batch = false;
  bool stream = false;
  bool detect = false;    // no source_lang: report what was detected
  bool glossary = false;  // terms given (by id or inline): report the misses
  bool markup = false;    // HTML/XML: a text is complete or not at all (no pieces)
  std::vector<translate::DocumentResult> results;
  std::string model;
  std::string key;  // the account billed in the /v2/usage ledger ("" when keys are off)
  size_t piece_index = 0;
};

std::string sse(const Json& j) { return "data: " + dump_json(j) + "\n\n"; }

// The fields that go with one text's translation: what was detected, which terms were missed.
void add_details(Json& out, const TranslateState& st, const translate::DocumentResult& r) {
  if (st.detect) {
    out["detected_source_lang"] =
        r.detected_source_lang.empty() ? Json(nullptr) : Json(r.detected_source_lang);
    out["detected_confidence"] = std::round(r.detected_confidence * 1000.0) / 1000.0;
  }
  if (st.glossary) {
    Json misses = Json::array();
    for (const auto& m : r.glossary_misses) {
      misses.push_back({{"source", m.source}, {"target", m.target}});
    }
    out["glossary_misses"] = std::move(misses);
  }
}

translate::TextFormat parse_format(const Json& body) {
  const std::string format = opt_string(body, "format").value_or("text");
  if (format == "text") return translate::TextFormat::kPlain;
  if (format == "html") return translate::TextFormat::kHtml;
  if (format == "xml") return translate::TextFormat::kXml;
  throw FieldError("format", fmt::format("'format' must be text, html or xml (got '{}')", format));
}

translate::Formality parse_formality(const Json& body) {
  const std::string f = opt_string(body, "formality").value_or("default");
  if (f == "default") return translate::Formality::kDefault;
  if (f == "more" || f == "prefer_more") return translate::Formality::kMore;
  if (f == "less" || f == "prefer_less") return translate::Formality::kLess;
  throw FieldError("formality",
                   fmt::format("'formality' must be default, more, less, prefer_more or "
                               "prefer_less (got '{}')",
                               f));
}

std::map<std::string, std::string> parse_inline_glossary(const Json& body) {
  std::map<std::string, std::string> terms;
  const auto it = body.find("glossary");
  if (it == body.end() || it->is_null()) return terms;
  if (!it->is_object() || it->size() > 256) {
    throw FieldError("glossary", "'glossary' must be an object of at most 256 string pairs");
  }
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string() || k.empty()) {
      throw FieldError("glossary", "'glossary' keys must be non-empty and values strings");
    }
    terms[k] = v.get<std::string>();
  }
  return terms;
}

}  // namespace

void handle_translate(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const Json body = parse_json_object(ex->request().body());
  auto st = std::make_shared<TranslateState>();
  st->ex = ex;
  st->model = ctx.model_name;
  // The router has checked the key (Authorization: Bearer KEY) when keys are on.
  if (!ctx.api_keys.empty()) {
    const std::string auth(ex->request()[boost::beast::http::field::authorization]);
    st->key = presented_key(auth, "Bearer");
  }
  std::vector<std::string> texts;
  const auto text = opt_string(body, "text");
  if (const auto it = body.find("segments"); it != body.end() && !it->is_null()) {
    if (text) throw FieldError("segments", "give either 'text' or 'segments', not both");
    if (!it->is_array() || it->empty()) {
      throw FieldError("segments", "'segments' must be a non-empty array of strings");
    }
    if (static_cast<int64_t>(it->size()) > ctx.config.max_translation_segments) {
      throw LimitError(
          fmt::format("'segments' has {} items; the limit is --max-translation-segments {}",
                      it->size(), ctx.config.max_translation_segments));
    }
    for (const auto& s : *it) {
      if (!s.is_string()) throw FieldError("segments", "'segments' items must be strings");
      texts.push_back(s.get<std::string>());
    }
    st->batch = true;
  } else if (text) {
    if (text->empty()) throw FieldError("text", "'text' must not be empty");
    texts.push_back(*text);
  } else {
    throw FieldError("text", "'text' (a string) or 'segments' (an array of strings) is required");
  }
  // Languages, the glossary's pair and its id are checked by the core (400 naming the field).
  translate::DocumentTask task;
  task.target_lang = opt_string(body, "target_lang").value_or("");
  if (task.target_lang.empty()) throw FieldError("target_lang", "'target_lang' is required");
  task.source_lang = opt_string(body, "source_lang").value_or("");
  if (task.source_lang == "auto") task.source_lang.clear();
  task.format = parse_format(body);
  task.glossary_id = opt_string(body, "glossary_id").value_or("");
  task.glossary = parse_inline_glossary(body);
  task.context = opt_string(body, "context").value_or("");
  task.formality = parse_formality(body);
  st->detect = task.source_lang.empty();
  st->glossary = !task.glossary_id.empty() || !task.glossary.empty();
  st->markup = task.format != translate::TextFormat::kPlain;

  translate::TranslateOptions opts = translation_options(ctx);
  opts.max_tokens = opt_int(body, "max_tokens", 1, 1 << 20);
  opts.temperature = static_cast<float>(opt_number(body, "temperature", 0, 2).value_or(0));
  if (const auto seed = opt_int(body, "seed", INT64_MIN, INT64_MAX)) {
    opts.seed = static_cast<uint64_t>(*seed);
  }
  st->stream = opt_bool(body, "stream").value_or(false);
  st->results.resize(texts.size());

  translate::DocumentCallbacks cb;
  if (st->stream && !st->batch && !st->markup) {
    // Plain text: one event per finished piece of the document, in order.
    cb.on_piece = [st](size_t, const std::string& piece) {
      st->ex->send(sse({{"index", st->piece_index++}, {"translation", piece}}));
    };
  }
  cb.on_text = [st](size_t i, const translate::DocumentResult& r) {
    if (st->stream && st->batch) {
      // A batch: one event per text, with its details.
      Json event = {{"index", i}, {"translation", r.translation}};
      add_details(event, *st, r);
      st->ex->send(sse(event));
    } else if (st->stream && st->markup) {
      // Markup has no pieces: the document in one event.
      st->ex->send(sse({{"index", st->piece_index++}, {"translation", r.translation}}));
    }
    std::lock_guard lock(st->mu);
    st->results[i] = r;
  };
  cb.on_done = [&ctx, st](const translate::TranslationUsage& u) {
    record_translation_usage(*st->ex, u);
    const Json usage = {{"prompt_tokens", u.prompt_tokens},
                        {"completion_tokens", u.completion_tokens}};
    std::lock_guard lock(st->mu);
    bill_characters(ctx, st->key, st->results);
    Json out = {{"usage", usage}, {"cached_segments", u.cached_segments}};
    if (st->stream) {
      if (!st->batch) add_details(out, *st, st->results[0]);
      st->ex->send(sse(out));
      st->ex->send("data: [DONE]\n\n");
      st->ex->finish_stream();
      return;
    }
    out["model"] = st->model;
    if (st->batch) {
      Json translations = Json::array();
      Json details = Json::array();
      for (const auto& r : st->results) {
        translations.push_back(r.translation);
        Json d = Json::object();
        add_details(d, *st, r);
        details.push_back(std::move(d));
      }
      out["translations"] = std::move(translations);
      if (st->detect || st->glossary) out["details"] = std::move(details);
    } else {
      out["translation"] = st->results[0].translation;
      add_details(out, *st, st->results[0]);
    }
    st->ex->respond(200, dump_json(out));
  };
  cb.on_error = [st](ErrorKind kind, const std::string& message) {
    answer_error(*st->ex, kind, message);
  };
  submit_document(ctx, ex, std::move(task), std::move(texts), opts, std::move(cb),
                  TranslationApi::kDsinfer, st->stream);
}

}  // namespace dsinfer::server
