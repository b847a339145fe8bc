// POST /v1/translate: one text (split into segments) or a batch of segments, translated in
// parallel, answered as JSON or streamed as SSE pieces in order.
#include <mutex>

#include <boost/asio/post.hpp>

#include <fmt/format.h>

#include "base/limit_error.h"
#include "server/answer_error.h"
#include "server/api_error.h"
#include "server/exchange_submission.h"
#include "server/json_fields.h"
#include "server/server_context.h"

namespace dsinfer::server {
namespace {

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

struct TranslateState {
  std::mutex mu;
  std::shared_ptr<Exchange> ex;
  bool batch = false;
  bool stream = false;
  std::vector<std::string> results;
  std::string model;
  size_t piece_index = 0;
};

}  // namespace

void handle_translate(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const Json body = parse_json_object(ex->request().body());
  auto st = std::make_shared<TranslateState>();
  st->ex = ex;
  st->model = ctx.model_name;
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
  translate::TranslationTask task;
  task.target_lang = opt_string(body, "target_lang").value_or("");
  if (task.target_lang.empty()) throw FieldError("target_lang", "'target_lang' is required");
  task.source_lang = opt_string(body, "source_lang").value_or("");
  try {
    translate::language_name(task.target_lang);
  } catch (const Error& e) {
    throw FieldError("target_lang", e.what());
  }
  if (!task.source_lang.empty()) {
    try {
      translate::language_name(task.source_lang);
    } catch (const Error& e) {
      throw FieldError("source_lang", e.what());
    }
  }
  if (const auto it = body.find("glossary"); it != body.end() && !it->is_null()) {
    if (!it->is_object() || it->size() > 256) {
      throw FieldError("glossary", "'glossary' must be an object of at most 256 string pairs");
    }
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string() || k.empty()) {
        throw FieldError("glossary", "'glossary' values must be strings");
      }
      task.glossary[k] = v.get<std::string>();
    }
  }
  translate::TranslateOptions opts;
  opts.max_tokens = opt_int(body, "max_tokens", 1, 1 << 20);
  opts.temperature = static_cast<float>(opt_number(body, "temperature", 0, 2).value_or(0));
  if (const auto seed = opt_int(body, "seed", INT64_MIN, INT64_MAX)) {
    opts.seed = static_cast<uint64_t>(*seed);
  }
  opts.deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(ctx.config.request_timeout_s));
  st->stream = opt_bool(body, "stream").value_or(false);
  st->results.resize(texts.size());

  translate::TranslationCallbacks cb;
  if (st->stream) {
    cb.on_piece = [st](size_t i, const std::string& piece) {
      // Batch: one event per segment; single text: one event per finished piece of it.
      if (st->batch) return;
      st->ex->send("data: " + dump({{"index", st->piece_index++}, {"translation", piece}}) +
                   "\n\n");
    };
  }
  cb.on_text = [st](size_t i, std::string translation) {
    if (st->stream && st->batch) {
      st->ex->send("data: " + dump({{"index", i}, {"translation", translation}}) + "\n\n");
    }
    std::lock_guard lock(st->mu);
    st->results[i] = std::move(translation);
  };
  cb.on_done = [st](const translate::TranslationUsage& u) {
    {
      std::lock_guard lock(st->ex->stats_mutex());
      auto& s = st->ex->stats();
      s.admitted = u.segments > u.cached_segments;
      s.prompt_tokens = u.prompt_tokens;
      s.completion_tokens = u.completion_tokens;
      s.cached_tokens = u.cached_prompt_tokens;
      s.cached_segments = u.cached_segments;
    }
    const Json usage = {{"prompt_tokens", u.prompt_tokens},
                        {"completion_tokens", u.completion_tokens}};
    if (st->stream) {
      st->ex->send("data: " + dump({{"usage", usage}, {"cached_segments", u.cached_segments}}) +
                   "\n\n");
      st->ex->send("data: [DONE]\n\n");
      st->ex->finish_stream();
      return;
    }
    std::lock_guard lock(st->mu);
    Json out = {{"model", st->model}, {"usage", usage}, {"cached_segments", u.cached_segments}};
    if (st->batch) {
      out["translations"] = st->results;
    } else {
      out["translation"] = st->results[0];
    }
    st->ex->respond(200, dump(out));
  };
  cb.on_error = [st](ErrorKind kind, const std::string& message) {
    answer_error(*st->ex, kind, message);
  };
  // Segmenting, templating and tokenizing a large document take a while: not on the I/O
  // thread that answers the probes.
  boost::asio::post(*ctx.work_pool, [&ctx, ex, st, task = std::move(task), texts = std::move(texts),
                                     opts, cb = std::move(cb)]() mutable {
    translate::Translator& translator = *ctx.translator;
    submit_exchange(ctx, ex, st->stream, [&]() -> Cancel {
      // The job is owned by its engine sinks; the canceller only observes it, so it keeps
      // neither the job nor (through the job's callbacks) this exchange alive.
      std::weak_ptr<translate::TranslationJob> job =
          translator.start(task, texts, opts, std::move(cb));
      return [&translator, job] {
        if (auto j = job.lock()) translator.cancel(j);
      };
    });
  });
}

}  // namespace dsinfer::server
