// Document translation over the engine: segments every input text, serves repeated segments from
// the translation cache, submits the rest as separate engine requests (translated in parallel by
// continuous batching) and hands results back in order, ready for reassembly.
#pragma once

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
};

struct TranslateOptions {
  std::optional<int64_t> max_tokens;  // per segment; default 2 × source tokens + 32
  float temperature = 0.0f;
  std::optional<uint64_t> seed;
  std::optional<engine::Clock::time_point> deadline;
};

struct TranslationUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_prompt_tokens = 0;
  int64_t cached_segments = 0;  // served from the translation cache
  int64_t segments = 0;
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

  // Validates the task (languages) and texts (UTF-8) and starts the job; throws Error before any
  // callback is called, or engine::OverloadedError when the engine refuses admission (segments
  // already submitted are then cancelled).
  std::shared_ptr<TranslationJob> start(const TranslationTask& task,
                                        const std::vector<std::string>& texts,
                                        const TranslateOptions& options,
                                        TranslationCallbacks callbacks);

  // Cancels every engine request of the job still running (client disconnect). Thread-safe.
  void cancel(const std::shared_ptr<TranslationJob>& job);

  // Number of source tokens of a text (the segmentation budget's unit).
  int64_t count_tokens(std::string_view text) const;

 private:
  engine::Engine& engine_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::shared_ptr<const tokenizer::ChatTemplate> template_;
  TranslationCache& cache_;
  std::string model_name_;
  TranslatorConfig config_;
};

// Removes the reasoning part of a reasoning model's answer: everything up to and including the
// first "</think>"; an answer whose reasoning never closed has no translation (""). Answers with
// no "<think>" opening and no closing tag are returned trimmed.
std::string strip_reasoning(const std::string& answer, bool prompt_opened_think);

}  // namespace dsinfer::translate
