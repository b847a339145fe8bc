// Document translation over the engine: segments every input text, serves repeated segments from
// the translation cache, submits the rest as separate engine requests (translated in parallel by
// continuous batching) and hands results back in order, ready for reassembly.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "translate/prompt.h"
#include "translate/segmenter.h"
#include "translate/translation_cache.h"

namespace dsinfer::translate {

struct TranslatorConfig {
  int64_t max_segment_tokens = 200;  // source tokens per segment before sentence splitting
  bool strip_reasoning = true;       // drop "<think>…</think>" of reasoning models
  int64_t max_segments = 4096;       // segments of one job, all texts together (over: LimitError)
  // The engine's --max-running: each job keeps at most its fair share of it (running_slots /
  // active jobs, at least 1) of requests in the engine at once.
  int64_t running_slots = 16;
};

// How a text is cut into segments (engine requests).
enum class Segmentation {
  kBudget,     // paragraphs, cut at sentences only past max_segment_tokens (the default)
  kSentences,  // every sentence its own segment
  kWhole,      // the text is one segment
};

struct TranslateOptions {
  std::optional<int64_t> max_tokens;  // per segment; default 2 × source tokens + 32
  float temperature = 0.0f;
  std::optional<uint64_t> seed;
  std::optional<engine::Clock::time_point> deadline;
  // A later round of work already admitted (a document's markup repair or line-wise fallback):
  // its first request joins that admission too, so the work is never refused halfway with 429.
  bool continues_admitted_work = false;
  // DeepL's preserve_formatting: every segment's translation keeps the source's punctuation at
  // its start and end and the case of its first letter (translate/preserve_formatting.h).
  bool preserve_formatting = false;
  Segmentation segmentation = Segmentation::kBudget;
};

// When a job's engine work ran, for the request log and the latency histograms. Zero time
// points: no engine request produced them (every segment came from the cache).
struct TranslationTiming {
  // The job's first engine request (its first segment not served from the cache): submitted,
  // first computed, first token sampled.
  engine::Clock::time_point submitted;
  engine::Clock::time_point first_scheduled;
  engine::Clock::time_point first_token;
  // Over every engine request of the job: time from its first to its last token, and the tokens
  // after its first (time per output token = decode_seconds / decode_tokens).
  double decode_seconds = 0;
  int64_t decode_tokens = 0;

  // Adds a later round of the same job: its first request counts only where this had none.
  void merge(const TranslationTiming& later);
  // Seconds, or -1 when not measured.
  double queue_seconds() const;
  double seconds_per_output_token() const;
};

struct TranslationUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_prompt_tokens = 0;
  int64_t cached_segments = 0;  // served from the translation cache
  int64_t segments = 0;
  TranslationTiming timing;
};

// Callbacks of one job. They run on the engine thread (or the caller's thread for cached
// segments), one at a time per job, and must only hand data off (see engine::EventSink).
struct TranslationCallbacks {
  // Optional: the next finished segment of text `text_index`, in order, with the whitespace
  // around it; concatenating a text's pieces gives its translation.
  std::function<void(size_t text_index, const std::string& piece)> on_piece;
  // Text `text_index` is complete (all of its segments), in input order.
  std::function<void(size_t text_index, std::string translation)> on_text;
  // Every text done.
  std::function<void(const TranslationUsage& usage)> on_done;
  // The job failed (first error wins; the remaining segments are cancelled).
  std::function<void(ErrorKind kind, const std::string& message)> on_error;
};

class TranslationJob;

// Thread-safe; one Translator serves every HTTP request.
class Translator {
 public:
  Translator(engine::Engine& engine, std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
             std::shared_ptr<const tokenizer::ChatTemplate> chat_template, TranslationCache& cache,
             std::string model_name, TranslatorConfig config);

  // Validates the task (languages), texts (UTF-8), segment count and every segment's engine
  // request, then starts the job; throws Error before any callback is called (LimitError over
  // max_segments), or engine::OverloadedError when the engine refuses the job's admission (never
  // with options.continues_admitted_work).
  // NOTE: a job is admitted whole or refused whole: only its first request faces the engine's
  // waiting-queue limit; the others join that admission and are fed to the engine as earlier
  // ones finish, at most the job's fair share of running slots at a time — so a job neither
  // fills the queue nor ends in 429 halfway, and other clients keep being served.
  // Segmenting, templating and tokenizing run on the calling thread: call it off the I/O thread
  // for large inputs.
  std::shared_ptr<TranslationJob> start(const TranslationTask& task,
                                        const std::vector<std::string>& texts,
                                        const TranslateOptions& options,
                                        TranslationCallbacks callbacks);

  // Cancels every engine request of the job still running (client disconnect). Thread-safe.
  void cancel(const std::shared_ptr<TranslationJob>& job);

  // Number of source tokens of a text (the segmentation budget's unit).
  int64_t count_tokens(std::string_view text) const;

  // Jobs started and not yet closed.
  int64_t active_jobs() const { return active_jobs_.load(); }

 private:
  // Submits the job's next requests while it holds less than its share; call with job->mu held.
  void feed(const std::shared_ptr<TranslationJob>& job);
  engine::EventSink make_sink(const std::shared_ptr<TranslationJob>& job, size_t slot);
  // Adds a finished engine request's timing to the job's usage; call with job.mu held.
  static void record_timing(TranslationJob& job, size_t slot, const engine::Event& ev);
  // Marks the job closed (no further callbacks) and cancels what it has in the engine; call with
  // job->mu held.
  void close_job(TranslationJob& job, bool cancel_requests);

  engine::Engine& engine_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::shared_ptr<const tokenizer::ChatTemplate> template_;
  TranslationCache& cache_;
  std::string model_name_;
  TranslatorConfig config_;
  std::atomic<int64_t> active_jobs_{0};
};

// Removes the reasoning part of a reasoning model's answer: everything up to and including the
// first "</think>"; an answer whose reasoning never closed has no translation (""). Answers with
// no "<think>" opening and no closing tag are returned trimmed.
std::string strip_reasoning(const std::string& answer, bool prompt_opened_think);

}  // namespace dsinfer::translate
