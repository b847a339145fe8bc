// The shared HTTP side of the translation APIs.
#include "server/route_translation_common.h"

#include <chrono>
#include <mutex>

#include <boost/asio/post.hpp>

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
  // Measured as for the generation routes: the first engine request's queue time and first
  // token (from the request's arrival), the time per output token over all its requests.
  const auto& t = u.timing;
  s.queue_s = t.queue_seconds();
  s.ttft_s = t.first_token.time_since_epoch().count() != 0
                 ? std::chrono::duration<double>(t.first_token - ex.arrived()).count()
                 : -1;
  s.tpot_s = t.seconds_per_output_token();
}

void bill_characters(ServerContext& ctx, const std::string& key,
                     const std::vector<translate::DocumentResult>& results) {
  int64_t billed = 0;
  for (const auto& r : results) billed += r.billed_characters;
  ctx.usage.add(key, billed);
}

ErrorBody translation_error_shape(TranslationApi api) {
  if (api == TranslationApi::kDsinfer) return {};  // submit_exchange's OpenAI shape
  return [api](int status, ErrorKind, const std::string& message, const std::string& field) {
    return translation_error_body(api, status, message, field);
  };
}

void submit_document(ServerContext& ctx, const std::shared_ptr<Exchange>& ex,
                     translate::DocumentTask task, std::vector<std::string> texts,
                     const translate::TranslateOptions& options,
                     translate::DocumentCallbacks callbacks, TranslationApi api, bool stream) {
  // Parsing markup, detecting languages, segmenting and tokenizing a large document take a
  // while: on the work pool, not on the I/O thread that answers the probes.
  boost::asio::post(
      *ctx.work_pool, [&ctx, ex, task = std::move(task), texts = std::move(texts), options,
                       callbacks = std::move(callbacks), api, stream]() mutable {
        translate::DocumentTranslator& documents = *ctx.documents;
        const auto submit = [&]() -> Cancel {
          std::shared_ptr<translate::DocumentJob> job;
          try {
            job = documents.prepare(task, std::move(texts), options, std::move(callbacks));
          } catch (const translate::InvalidField& e) {
            throw FieldError(e.field(), e.what());
          }
          documents.start(job);
          // The job is owned by its engine sinks; the canceller only observes it, so it keeps
          // neither the job nor (through the job's callbacks) this exchange alive.
          std::weak_ptr<translate::DocumentJob> weak = job;
          return [&documents, weak] {
            if (auto j = weak.lock()) documents.cancel(j);
          };
        };
        submit_exchange(ctx, ex, stream, submit, translation_error_shape(api));
      });
}

void translate_and_respond(ServerContext& ctx, const std::shared_ptr<Exchange>& ex,
                           translate::DocumentTask task, std::vector<std::string> texts,
                           std::string key, TranslationApi api, RenderResults render) {
  struct State {
    std::mutex mu;
    std::vector<translate::DocumentResult> results;
  };
  auto st = std::make_shared<State>();
  st->results.resize(texts.size());
  translate::DocumentCallbacks cb;
  cb.on_text = [st](size_t i, const translate::DocumentResult& r) {
    std::lock_guard lock(st->mu);
    st->results[i] = r;
  };
  cb.on_done = [&ctx, st, ex, key = std::move(key),
                render = std::move(render)](const translate::TranslationUsage& u) {
    record_translation_usage(*ex, u);
    std::lock_guard lock(st->mu);
    bill_characters(ctx, key, st->results);
    ex->respond(200, render(st->results));
  };
  cb.on_error = [ex, api](ErrorKind kind, const std::string& message) {
    answer_translation_error(*ex, api, http_status_for(kind), message);
  };
  submit_document(ctx, ex, std::move(task), std::move(texts), translation_options(ctx),
                  std::move(cb), api);
}

}  // namespace dsinfer::server
