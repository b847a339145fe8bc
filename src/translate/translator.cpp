// Fan-out of segments to the engine and in-order reassembly.
#include "translate/translator.h"

#include <algorithm>
#include <atomic>

#include <fmt/format.h>

#include "base/limit_error.h"
#include "translate/preserve_formatting.h"
#include "translate/repetition_guard.h"

namespace dsinfer::translate {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

void TranslationTiming::merge(const TranslationTiming& later) {
  const bool has_first = submitted.time_since_epoch().count() != 0;
  if (!has_first) {
    submitted = later.submitted;
    first_scheduled = later.first_scheduled;
  }
  if (first_token.time_since_epoch().count() == 0) first_token = later.first_token;
  decode_seconds += later.decode_seconds;
  decode_tokens += later.decode_tokens;
}

double TranslationTiming::queue_seconds() const {
  if (submitted.time_since_epoch().count() == 0 ||
      first_scheduled.time_since_epoch().count() == 0) {
    return -1;
  }
  return std::chrono::duration<double>(first_scheduled - submitted).count();
}

double TranslationTiming::seconds_per_output_token() const {
  return decode_tokens > 0 ? decode_seconds / static_cast<double>(decode_tokens) : -1;
}

std::string strip_reasoning(const std::string& answer, bool prompt_opened_think) {
  const auto close = answer.find("</think>");
  if (close != std::string::npos) return trim(answer.substr(close + 8));
  const bool opened = prompt_opened_think || trim(answer).rfind("<think>", 0) == 0;
  return opened ? "" : trim(answer);
}

// State of one job; guarded by mu_. Segment slots are filled in any order and released to the
// caller in order.
class TranslationJob {
 public:
  struct Slot {
    std::string key;   // translation cache key ("" = not cacheable)
    std::string text;  // generated so far / final translation
    bool done = false;
    engine::RequestId request = 0;
    RepetitionGuard guard;
    bool looped = false;  // stopped by the repetition guard
  };

  std::mutex mu;
  std::vector<SegmentedText> docs;
  std::vector<size_t> first_slot;  // per doc: index of its first slot
  std::vector<Slot> slots;
  size_t next_doc = 0;   // next doc to release
  size_t next_seg = 0;   // next segment of next_doc to release
  std::string doc_text;  // released pieces of next_doc
  size_t remaining = 0;
  bool closed = false;  // finished, failed or cancelled: no further callbacks
  bool opened_think = false;
  bool default_max_tokens = true;
  bool preserve = false;  // TranslateOptions::preserve_formatting
  TranslationUsage usage;
  TranslationCallbacks callbacks;
  std::atomic<int64_t>* active_jobs = nullptr;
  std::vector<engine::RequestId> requests;  // submitted so far
  // Built up front (validated), submitted by Translator::feed as the job's share allows.
  struct Pending {
    size_t slot;
    engine::Request request;
  };
  std::vector<Pending> pending;
  size_t next_pending = 0;
  int64_t in_engine = 0;
  bool admitted = false;  // the first request was admitted: the rest join that admission
  std::optional<size_t> first_request_slot;  // the slot of the job's first engine request
  bool counted = false;                      // counted in Translator::active_jobs_

  // Releases finished segments in order (as pieces), and each text once all of its segments are
  // done; call with mu held.
  void release_ready() {
    while (next_doc < docs.size()) {
      const auto& doc = docs[next_doc];
      const size_t n = doc.segments.size();
      while (next_seg < n && slots[first_slot[next_doc] + next_seg].done) {
        std::string piece = next_seg == 0 ? doc.leading : "";
        const std::string& text = slots[first_slot[next_doc] + next_seg].text;
        piece += preserve ? preserve_formatting(doc.segments[next_seg].text, text) : text;
        piece += doc.segments[next_seg].separator;
        doc_text += piece;
        if (callbacks.on_piece) callbacks.on_piece(next_doc, piece);
        ++next_seg;
      }
      if (next_seg < n) return;
      if (n == 0) doc_text = doc.leading;  // whitespace-only text
      callbacks.on_text(next_doc, std::move(doc_text));
      doc_text.clear();
      next_seg = 0;
      ++next_doc;
    }
    if (remaining == 0 && !closed) {
      closed = true;
      if (counted) {
        counted = false;
        active_jobs->fetch_sub(1);
      }
      callbacks.on_done(usage);
    }
  }
};

Translator::Translator(engine::Engine& engine,
                       std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
                       std::shared_ptr<const tokenizer::ChatTemplate> chat_template,
                       TranslationCache& cache, std::string model_name, TranslatorConfig config)
    : engine_(engine),
      tokenizer_(std::move(tokenizer)),
      template_(std::move(chat_template)),
      cache_(cache),
      model_name_(std::move(model_name)),
      config_(config) {}

int64_t Translator::count_tokens(std::string_view text) const {
  return static_cast<int64_t>(tokenizer_->encode(text, false, false).size());
}

std::shared_ptr<TranslationJob> Translator::start(const TranslationTask& task,
                                                  const std::vector<std::string>& texts,
                                                  const TranslateOptions& options,
                                                  TranslationCallbacks callbacks) {
  language_name(task.target_lang);  // validates
  if (!task.source_lang.empty()) language_name(task.source_lang);
  auto job = std::make_shared<TranslationJob>();
  job->callbacks = std::move(callbacks);
  job->active_jobs = &active_jobs_;
  const auto counter = [this](std::string_view t) { return count_tokens(t); };
  for (const auto& text : texts) {
    job->first_slot.push_back(job->slots.size());
    switch (options.segmentation) {
      case Segmentation::kBudget:
        job->docs.push_back(segment_text(text, config_.max_segment_tokens, counter));
        break;
      case Segmentation::kSentences:
        job->docs.push_back(segment_sentences(text, false));
        break;
      case Segmentation::kWhole:
        job->docs.push_back(segment_whole(text));
        break;
    }
    job->slots.resize(job->slots.size() + job->docs.back().segments.size());
    if (config_.max_segments > 0 &&
        static_cast<int64_t>(job->slots.size()) > config_.max_segments) {
      throw LimitError(fmt::format(
          "the request has more than {} segments (--max-translation-segments {}); split it",
          config_.max_segments, config_.max_segments));
    }
  }
  const bool cacheable = options.temperature <= 0.0f;
  const std::string probe = template_->render({{"user", "x"}}, true);
  const std::string_view think_open = "<think>\n";
  job->opened_think =
      config_.strip_reasoning && probe.size() >= think_open.size() &&
      probe.compare(probe.size() - think_open.size(), think_open.size(), think_open) == 0;

  // Build and validate every engine request first: a job is refused whole, before any part ran.
  size_t slot = 0;
  for (const auto& doc : job->docs) {
    for (const auto& seg : doc.segments) {
      auto& s = job->slots[slot];
      ++job->usage.segments;
      if (cacheable) {
        s.key = TranslationCache::key(model_name_, task, seg.text);
        if (auto hit = cache_.get(s.key)) {
          s.text = std::move(*hit);
          s.done = true;
          ++job->usage.cached_segments;
          ++slot;
          continue;
        }
      }
      std::vector<tokenizer::ChatMessage> messages;
      for (const auto& turn : translation_messages(task, seg.text)) {
        messages.push_back({turn.role, turn.content});
      }
      engine::Request req;
      // The segment is caller text: a control token written in the document stays text.
      const auto prompt = template_->prompt(messages, true);
      for (int32_t id : template_->tokenize(*tokenizer_, prompt)) req.prompt_tokens.push_back(id);
      req.max_tokens = options.max_tokens.value_or(2 * count_tokens(seg.text) + 32);
      req.sampling.temperature = options.temperature;
      req.sampling.seed = options.seed;
      req.deadline = options.deadline;
      engine_.validate(req);
      job->pending.push_back({slot, std::move(req)});
      ++slot;
    }
  }
  job->remaining = job->pending.size();
  job->default_max_tokens = !options.max_tokens.has_value();
  job->preserve = options.preserve_formatting;
  job->admitted = options.continues_admitted_work;

  std::unique_lock lock(job->mu);
  if (!job->pending.empty()) {
    job->counted = true;
    active_jobs_.fetch_add(1);
  }
  try {
    // The engine never calls a sink inside submit(), so holding mu here cannot deadlock.
    feed(job);
  } catch (...) {
    close_job(*job, true);
    throw;
  }
  job->release_ready();
  return job;
}

void Translator::feed(const std::shared_ptr<TranslationJob>& job) {
  const int64_t share =
      std::max<int64_t>(1, config_.running_slots / std::max<int64_t>(1, active_jobs_.load()));
  while (!job->closed && job->next_pending < job->pending.size() && job->in_engine < share) {
    auto& p = job->pending[job->next_pending];
    p.request.joins_admitted_work = job->admitted;
    if (!job->first_request_slot) job->first_request_slot = p.slot;
    const engine::RequestId id = engine_.submit(std::move(p.request), make_sink(job, p.slot));
    job->admitted = true;
    job->slots[p.slot].request = id;
    job->requests.push_back(id);
    ++job->next_pending;
    ++job->in_engine;
  }
}

void Translator::close_job(TranslationJob& job, bool cancel_requests) {
  job.closed = true;
  if (job.counted) {
    job.counted = false;
    active_jobs_.fetch_sub(1);
  }
  if (cancel_requests) {
    for (auto id : job.requests) engine_.cancel(id);
  }
}

void Translator::record_timing(TranslationJob& job, size_t slot, const engine::Event& ev) {
  const engine::Timing& t = ev.timing;
  auto& timing = job.usage.timing;
  if (job.first_request_slot == slot) {
    timing.submitted = t.submitted;
    timing.first_scheduled = t.first_scheduled;
    timing.first_token = t.first_token;
  }
  if (t.first_token.time_since_epoch().count() != 0 && ev.usage.completion_tokens > 1) {
    timing.decode_seconds += std::chrono::duration<double>(t.finished - t.first_token).count();
    timing.decode_tokens += ev.usage.completion_tokens - 1;
  }
}

engine::EventSink Translator::make_sink(const std::shared_ptr<TranslationJob>& job, size_t i) {
  // The sinks own the job: it lives until its last engine request has finished, whether or not
  // the caller keeps the handle.
  return [this, j = job, i](engine::Event&& ev) {
    std::lock_guard guard(j->mu);
    if (j->closed) return;
    auto& s = j->slots[i];
    s.text += ev.text;
    if (ev.type == engine::EventType::kTokens) {
      if (!s.looped && s.guard.push(ev.text)) {
        s.looped = true;  // runaway loop: stop it (still a deterministic, cacheable result)
        engine_.cancel(s.request);
      }
      return;
    }
    if (ev.type == engine::EventType::kError) {
      close_job(*j, true);
      j->callbacks.on_error(ev.error_kind, ev.error_message);
      return;
    }
    if (ev.finish_reason == engine::FinishReason::kTimeout) {
      close_job(*j, true);
      j->callbacks.on_error(ErrorKind::kTimeout, "translation deadline passed");
      return;
    }
    j->usage.prompt_tokens += ev.usage.prompt_tokens;
    j->usage.completion_tokens += ev.usage.completion_tokens;
    j->usage.cached_prompt_tokens += ev.usage.cached_prompt_tokens;
    record_timing(*j, i, ev);
    s.text = strip_reasoning(s.text, j->opened_think);
    s.done = true;
    --j->remaining;
    --j->in_engine;
    // Deterministic results only: a natural stop, a loop the guard cut, or the default
    // (text-derived) length limit.
    if (!s.key.empty() &&
        (ev.finish_reason == engine::FinishReason::kStop || s.looped ||
         (ev.finish_reason == engine::FinishReason::kLength && j->default_max_tokens))) {
      cache_.put(s.key, s.text);
    }
    try {
      feed(j);  // never refused for a full queue; fails only when the engine stops
    } catch (const Error& e) {
      close_job(*j, true);
      j->callbacks.on_error(e.kind(), e.what());
      return;
    }
    j->release_ready();
  };
}

void Translator::cancel(const std::shared_ptr<TranslationJob>& job) {
  std::lock_guard lock(job->mu);
  if (job->closed) return;
  close_job(*job, true);
}

}  // namespace dsinfer::translate
