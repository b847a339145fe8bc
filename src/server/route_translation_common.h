// What the three translation APIs (dsinfer /v1/translate, DeepL /v2/translate, LibreTranslate
// /translate) share on the HTTP side: one path from a parsed request to the translation core,
// each API's error shape, usage recorded for logs and metrics.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/exchange_submission.h"
#include "server/http_exchange.h"
#include "server/json_fields.h"
#include "translate/document_translator.h"

namespace dsinfer::server {

struct ServerContext;

enum class TranslationApi { kDsinfer, kDeepl, kLibreTranslate };

// The error body of `api` for `status`: OpenAI-style {"error": {...}} (kDsinfer, naming `field`),
// {"message": ...} (kDeepl), {"error": "..."} (kLibreTranslate).
std::string translation_error_body(TranslationApi api, int status, const std::string& message,
                                   const std::string& field = "");

// Answers `ex` with an error of `api` (a 429 carries Retry-After).
void answer_translation_error(Exchange& ex, TranslationApi api, int status,
                              const std::string& message, const std::string& field = "");

std::string dump_json(const Json& j);

// Per-segment options every API shares (the engine deadline from --request-timeout).
translate::TranslateOptions translation_options(const ServerContext& ctx);

// Token counts, cache hits, queue time, time to first token (the first engine request's) and
// time per output token of a finished translation, for the request log and metrics.
void record_translation_usage(Exchange& ex, const translate::TranslationUsage& usage);

// Adds the texts' billed characters to `key`'s account in the ledger behind DeepL's /v2/usage;
// every translation API bills it ("" = keys off: one shared account).
void bill_characters(ServerContext& ctx, const std::string& key,
                     const std::vector<translate::DocumentResult>& results);

// `api`'s error shape for submit_exchange (empty for kDsinfer: the OpenAI shape).
ErrorBody translation_error_shape(TranslationApi api);

// On the work pool: prepares the job (parsing, detection, glossary) and submits it through
// submit_exchange — refusals in `api`'s shape (400 naming the field, 413, 429 with
// Retry-After), a client that leaves cancels the job (499). `callbacks` answer the exchange.
void submit_document(ServerContext& ctx, const std::shared_ptr<Exchange>& ex,
                     translate::DocumentTask task, std::vector<std::string> texts,
                     const translate::TranslateOptions& options,
                     translate::DocumentCallbacks callbacks, TranslationApi api,
                     bool stream = false);

// The whole path of a route that answers once with every text's result (DeepL, LibreTranslate):
// submit_document, then a 200 whose body `render` builds from the results; the texts' billed
// characters are added to `key`'s usage; failures after submission in `api`'s shape.
using RenderResults = std::function<std::string(const std::vector<translate::DocumentResult>&)>;
void translate_and_respond(ServerContext& ctx, const std::shared_ptr<Exchange>& ex,
                           translate::DocumentTask task, std::vector<std::string> texts,
                           std::string key, TranslationApi api, RenderResults render);

}  // namespace dsinfer::server
