// The shared HTTP side of the translation APIs.
#include "server/route_translation_common.h"

#include <chrono>

#include "engine/engine.h"
#include "server/api_error.h"
#include "server/deepl_protocol.h"
#include "server/libretranslate_protocol.h"
#include "server/server_context.h"

namespace dsinfer::server {

std::string translation_error_body(TranslationApi api, int status, const std::string& message,
                                   const std::string& field) {
  switch (api) {
    case TranslationApi::kDeepl:
      return deepl_error_body(message);
    case TranslationApi::kLibreTranslate:
      return libretranslate_error_body(message);
    case TranslationApi::kDsinfer:
      break;
  }
  return field.empty() ? error_body_for_status(status, message)
                       : error_body(ErrorKind::kInvalidInput, message, field);
}

void answer_translation_error(Exchange& ex, TranslationApi api, int status,
                              const std::string& message, const std::string& field) {
  Headers headers;
  if (status == 429) headers.emplace_back("Retry-After", "1");
  ex.respond_error(static_cast<unsigned>(status),
                   translation_error_body(api, status, message, field), headers);
}

std::string dump_json(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

translate::TranslateOptions translation_options(const ServerContext& ctx) {
  translate::TranslateOptions opts;
  opts.deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(ctx.config.request_timeout_s));
  return opts;
}

void record_translation_usage(Exchange& ex, const translate::TranslationUsage& u) {
  std::lock_guard lock(ex.stats_mutex());
  auto& s = ex.stats();
  s.admitted = u.segments > u.cached_segments;
  s.prompt_tokens = u.prompt_tokens;
  s.completion_tokens = u.completion_tokens;
  s.cached_tokens = u.cached_prompt_tokens;
  s.cached_segments = u.cached_segments;
}

void submit_document(ServerContext& ctx, const std::shared_ptr<Exchange>& ex,
                     const translate::DocumentTask& task, std::vector<std::string> texts,
                     const translate::TranslateOptions& options,
                     translate::DocumentCallbacks callbacks, TranslationApi api, bool stream) {
  std::shared_ptr<translate::DocumentJob> job;
  try {
    job = ctx.documents->prepare(task, std::move(texts), options, std::move(callbacks));
  } catch (const translate::InvalidField& e) {
    answer_translation_error(*ex, api, 400, e.what(), e.field());
    return;
  } catch (const Error& e) {
    answer_translation_error(*ex, api, http_status_for(e.kind()), e.what());
    return;
  }
  if (stream) {
    ex->start_stream();
    ctx.streams.add(ex);
  }
  try {
    ctx.documents->start(job);
  } catch (const engine::OverloadedError& e) {
    const auto retry = std::max<int64_t>(1, (e.retry_after().count() + 999) / 1000);
    ex->respond_error(429, translation_error_body(api, 429, e.what()),
                      {{"Retry-After", std::to_string(retry)}});
    return;
  } catch (const Error& e) {
    answer_translation_error(*ex, api, http_status_for(e.kind()), e.what());
    return;
  }
  translate::DocumentTranslator* documents = ctx.documents.get();
  std::weak_ptr<translate::DocumentJob> weak = job;
  std::weak_ptr<Exchange> weak_ex = ex;
  ex->set_on_disconnect([documents, weak, weak_ex, stream] {
    if (auto j = weak.lock()) documents->cancel(j);  // no further callbacks
    if (auto e = weak_ex.lock()) {
      if (stream) {
        e->finish_stream();
      } else {
        e->respond_error(499, error_body_for_status(499, "client closed the request"));
      }
    }
  });
}

}  // namespace dsinfer::server
