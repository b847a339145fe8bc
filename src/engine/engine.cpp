// The engine thread: admits submitted requests, plans a step, runs the model's forward pass over
// the mixed batch, samples, applies stop conditions and delivers events.
#include "engine/engine.h"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "base/json_escape.h"

namespace dsinfer::engine {

namespace {

// What a request cut by stop() hears: a retryable 503 (the work is lost, the request is not bad).
constexpr const char* kStoppedMessage =
    "the engine is shutting down before this request finished: retry it (another replica "
    "serves it)";

SchedulerConfig scheduler_config(const EngineConfig& c) {
  validate_engine_config(c);
  return {c.max_batched_tokens, c.max_running};
}

}  // namespace

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kTimeout:
      return "timeout";
    case FinishReason::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

Engine::Engine(model::Model& model, std::shared_ptr<const TextCodec> codec,
               const EngineConfig& config, int64_t ctx_size)
    : model_(model),
      codec_(std::move(codec)),
      config_(config),
      ctx_size_(ctx_size),
      n_vocab_(model.info().n_vocab),
      allocator_(model.kv_block_count(), model.kv_block_size(), config.prefix_cache),
      scheduler_(scheduler_config(config), allocator_),
      seed_base_(std::random_device{}()) {
  const int64_t pool_tokens = model.kv_block_count() * model.kv_block_size();
  if (ctx_size < 1 || ctx_size > pool_tokens) {
    fail(
        ErrorKind::kInvalidInput,
        "the KV pool ({} blocks x {} tokens = {} tokens) cannot hold one sequence of --ctx-size {}",
        model.kv_block_count(), model.kv_block_size(), pool_tokens, ctx_size);
  }
  counters_.kv_blocks_total = allocator_.block_count();
  counters_.kv_block_size = allocator_.block_size();
  counters_.ctx_size = ctx_size_;
  published_ = counters_;
  published_.kv_blocks_free = allocator_.free_count();
  thread_ = std::thread([this] { run(); });
}

Engine::~Engine() { stop(); }

void Engine::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

RequestId Engine::submit(Request request, EventSink sink) {
  const auto now = Clock::now();
  if (!sink) fail(ErrorKind::kInvalidInput, "submit: an event sink is required");
  if (request.prompt_text) {
    if (!request.prompt_tokens.empty()) {
      fail(ErrorKind::kInvalidInput, "a request has either prompt text or prompt tokens, not both");
    }
    if (!codec_) fail(ErrorKind::kInvalidInput, "a text prompt needs a tokenizer; none is loaded");
    request.prompt_tokens =
        codec_->encode(*request.prompt_text, request.add_bos, request.prompt_text_special);
    request.prompt_text.reset();
  }
  validate(request);
  const auto n_prompt = static_cast<int64_t>(request.prompt_tokens.size());
  const int64_t max_tokens = request.max_tokens.value_or(ctx_size_ - n_prompt);

  std::unique_lock lock(mu_);
  if (stop_) fail(ErrorKind::kUnavailable, kStoppedMessage);
  if (failure_) throw *failure_;
  const int64_t waiting = published_.waiting + static_cast<int64_t>(inbox_.size());
  if (waiting >= config_.max_waiting && !request.joins_admitted_work) {
    ++published_.requests_rejected_overloaded;
    const auto delay = retry_delay(waiting);
    throw OverloadedError(fmt::format("overloaded: {} requests are waiting (--max-waiting {}); "
                                      "retry after {} ms",
                                      waiting, config_.max_waiting, delay.count()),
                          delay);
  }
  const RequestId id = next_id_++;
  const uint64_t seed = request.sampling.seed.value_or(seed_base_ + id * 0x9E3779B97F4A7C15ULL);
  Sampler sampler(request.sampling, seed);
  auto seq =
      std::make_unique<Sequence>(id, id, std::move(request), std::move(sampler), std::move(sink));
  seq->max_tokens = max_tokens;
  seq->usage.prompt_tokens = n_prompt;
  seq->timing.submitted = now;
  if (codec_) seq->decoder = codec_->make_decoder();
  inbox_.push_back(std::move(seq));
  lock.unlock();
  cv_.notify_one();
  return id;
}

void Engine::validate(const Request& request) const {
  if (request.prompt_text) fail(ErrorKind::kInvalidInput, "validate: a token prompt is expected");
  const auto n_prompt = static_cast<int64_t>(request.prompt_tokens.size());
  if (n_prompt == 0) fail(ErrorKind::kInvalidInput, "the prompt is empty (0 tokens)");
  for (size_t i = 0; i < request.prompt_tokens.size(); ++i) {
    const TokenId t = request.prompt_tokens[i];
    if (t < 0 || t >= n_vocab_) {
      fail(ErrorKind::kInvalidInput,
           "prompt token {} at index {} is outside the vocabulary [0, {})", t, i, n_vocab_);
    }
  }
  int64_t max_tokens = ctx_size_ - n_prompt;
  if (request.max_tokens) {
    if (*request.max_tokens < 1) {
      fail(ErrorKind::kInvalidInput, "max_tokens must be >= 1, got {}", *request.max_tokens);
    }
    if (n_prompt + *request.max_tokens > ctx_size_) {
      fail(ErrorKind::kInvalidInput,
           "prompt ({} tokens) + max_tokens ({}) = {} exceeds the context size ({} tokens)",
           n_prompt, *request.max_tokens, n_prompt + *request.max_tokens, ctx_size_);
    }
    max_tokens = *request.max_tokens;
  } else if (max_tokens < 1) {
    fail(ErrorKind::kInvalidInput,
         "the prompt ({} tokens) leaves no room to generate within the context size ({} tokens)",
         n_prompt, ctx_size_);
  }
  const int64_t bs = allocator_.block_size();
  const int64_t blocks_needed = (n_prompt + max_tokens + bs - 1) / bs;
  if (blocks_needed > allocator_.block_count()) {
    fail(ErrorKind::kInvalidInput,
         "prompt ({} tokens) + max_tokens ({}) needs {} KV blocks of {} tokens; the whole pool has "
         "{}",
         n_prompt, max_tokens, blocks_needed, bs, allocator_.block_count());
  }
  Sampler::validate(request.sampling);
}

void Engine::cancel(RequestId id) {
  {
    std::lock_guard lock(mu_);
    if (failure_) return;  // nothing is in flight any more, and nobody would read the list
    cancels_.push_back(id);
  }
  cv_.notify_one();
}

std::optional<Error> Engine::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

EngineStats Engine::stats() const {
  std::lock_guard lock(mu_);
  EngineStats s = published_;
  s.waiting += static_cast<int64_t>(inbox_.size());
  return s;
}

std::chrono::milliseconds Engine::retry_delay(int64_t waiting) const {
  // NOTE: the queue ahead drains at the measured rate; suggest the time to drain it (plus this
  // request), clamped to [1 s, 60 s]; 1 s before anything has finished.
  const double rate = published_.drain_rate;
  double seconds = rate > 0 ? static_cast<double>(waiting + 1) / rate : 1.0;
  seconds = std::clamp(seconds, 1.0, 60.0);
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

void Engine::take_inbox(std::unique_lock<std::mutex>& lock) {
  std::deque<std::unique_ptr<Sequence>> fresh;
  fresh.swap(inbox_);
  std::vector<RequestId> cancels;
  cancels.swap(cancels_);
  lock.unlock();
  for (auto& seq : fresh) {
    Sequence* raw = seq.get();
    sequences_.emplace(raw->id, std::move(seq));
    scheduler_.add(raw);
    ++counters_.requests_submitted;
  }
  const auto now = Clock::now();
  for (RequestId id : cancels) {
    auto it = sequences_.find(id);
    if (it != sequences_.end()) finish(*it->second, FinishReason::kCancelled, Event{}, now);
  }
  lock.lock();
}

void Engine::run() {
  // NOTE: a failure that step() could not pin on one sequence (planning, allocation). The thread
  // must survive it: every sequence in flight fails with a 500-class error and the engine goes
  // on serving new requests.
  const auto recover_step_failure = [this](const std::string& what) {
    const std::string message = "internal error in an engine step: " + what;
    spdlog::error("{}; failing {} requests", message, sequences_.size());
    std::vector<Sequence*> all;
    for (auto& [id, seq] : sequences_) all.push_back(seq.get());
    for (Sequence* seq : all) {
      try {
        fail_sequence(*seq, ErrorKind::kInternal, message);
      } catch (const std::exception& e) {
        spdlog::error("request {}: cannot fail it cleanly: {}", seq->id, e.what());
      }
    }
  };
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] {
      return stop_ || !inbox_.empty() || !cancels_.empty() || !sequences_.empty();
    });
    if (stop_) break;
    take_inbox(lock);
    lock.unlock();
    try {
      step();
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kDeviceLost) {
        lock.lock();
        failure_ = Error(ErrorKind::kDeviceLost,
                         fmt::format("the engine has failed for good: the compute device is lost "
                                     "({}); this replica restarts: retry the request (another "
                                     "replica serves it)",
                                     e.what()));
        break;  // with `lock` held, as the loop's other exit
      }
      recover_step_failure(e.what());
    } catch (const std::exception& e) {
      // NOTE: a failure that step() could not pin on one sequence (planning, allocation). The
      // thread must survive: every sequence fails with a 500-class error, the KV cache starts
      // over, and the engine serves the next requests.
      recover_step_failure(e.what());
    } catch (...) {
      recover_step_failure("unknown exception");
    }
    // Stats first, then events: whoever receives a final event sees its blocks freed in stats().
    publish_stats(Clock::now());
    flush_events();
    lock.lock();
  }
  const std::optional<Error> failure = failure_;
  lock.unlock();
  if (!failure) {
    fail_all(ErrorKind::kUnavailable, kStoppedMessage);
    return;
  }
  const size_t failed = fail_all(failure->kind(), failure->what());
  // NOTE: the one line an operator (or a log-based alert) looks for: why this replica stopped.
  spdlog::error(R"({{"event":"engine_failed","reason":"{}","requests_failed":{},"error":"{}"}})",
                error_kind_name(failure->kind()), failed, json_escape(failure->what()));
}

size_t Engine::fail_all(ErrorKind kind, const std::string& message) {
  std::deque<std::unique_ptr<Sequence>> fresh;
  {
    std::lock_guard guard(mu_);
    fresh.swap(inbox_);
  }
  for (auto& seq : fresh) fail_sequence(*seq, kind, message);
  std::vector<Sequence*> left;
  for (auto& [id, seq] : sequences_) left.push_back(seq.get());
  for (Sequence* seq : left) fail_sequence(*seq, kind, message);
  publish_stats(Clock::now());
  flush_events();
  return fresh.size() + left.size();
}

void Engine::expire_deadlines(Clock::time_point now) {
  std::vector<Sequence*> expired;
  for (auto& [id, seq] : sequences_) {
    if (seq->request.deadline && *seq->request.deadline <= now) expired.push_back(seq.get());
  }
  std::sort(expired.begin(), expired.end(),
            [](const Sequence* a, const Sequence* b) { return a->id < b->id; });
  for (Sequence* seq : expired) finish(*seq, FinishReason::kTimeout, Event{}, now);
}

void Engine::step() {
  expire_deadlines(Clock::now());
  if (sequences_.empty()) return;
  StepPlan plan = scheduler_.schedule();
  counters_.preemptions += plan.preempted;
  counters_.prefix_cache_query_tokens += plan.cache_query;
  counters_.prefix_cache_hit_tokens += plan.cache_hit;
  if (plan.empty()) {
    // Nothing fits right now (cannot persist: submit checks that each request fits the pool).
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return;
  }
  model::Batch batch;
  batch.sequences.reserve(plan.chunks.size());
  for (const auto& c : plan.chunks) {
    model::BatchSequence bs;
    bs.seq_id = static_cast<int64_t>(c.seq->id);
    bs.tokens.assign(c.seq->tokens.begin() + c.start, c.seq->tokens.begin() + c.start + c.count);
    bs.start_pos = c.start;
    bs.block_table = c.seq->block_table;
    batch.sequences.push_back(std::move(bs));
  }
  // The forward pass threw: every sequence of the batch fails; the engine goes on.
  const auto fail_batch = [&](ErrorKind kind, const std::string& what) {
    spdlog::error("forward pass over {} sequences failed: {}", plan.chunks.size(), what);
    for (const auto& c : plan.chunks) fail_sequence(*c.seq, kind, "forward pass failed: " + what);
  };
  const auto started = Clock::now();
  model::Logits logits;
  try {
    logits = model_.forward(batch);
  } catch (const std::exception& e) {
    // Error keeps its kind; anything else (bad_alloc, a kernel's logic_error) is internal.
    const auto* err = dynamic_cast<const Error*>(&e);
    if (err != nullptr && err->kind() == ErrorKind::kDeviceLost) throw;  // fails the engine (run)
    fail_batch(err != nullptr ? err->kind() : ErrorKind::kInternal, e.what());
    return;
  } catch (...) {
    fail_batch(ErrorKind::kInternal, "unknown exception");
    return;
  }
  const auto now = Clock::now();
  for (const auto& c : plan.chunks) {
    if (c.seq->state == SequenceState::kRunning &&
        !c.seq->timing.first_scheduled.time_since_epoch().count()) {
      c.seq->timing.first_scheduled = now;
    }
  }
  scheduler_.complete(plan);
  counters_.computed_tokens += plan.total_tokens;
  ++counters_.steps;
  process_logits(plan, logits, now);
  const bool prefill = plan.total_tokens > static_cast<int64_t>(plan.chunks.size());
  (prefill ? counters_.prefill_steps : counters_.decode_steps)
      .add(std::chrono::duration<double>(Clock::now() - started).count());
}

void Engine::process_logits(const StepPlan& plan, const model::Logits& logits,
                            Clock::time_point now) {
  int64_t generated = 0;
  for (size_t i = 0; i < plan.chunks.size(); ++i) {
    Sequence& seq = *plan.chunks[i].seq;
    if (!seq.caught_up()) continue;  // a prefill chunk that did not reach the end
    if (i >= logits.first_row.size() || logits.row_count[i] < 1 || logits.n_vocab != n_vocab_) {
      fail_sequence(seq, ErrorKind::kInternal, "the model returned no logits for this sequence");
      continue;
    }
    const int64_t row = logits.first_row[i] + logits.row_count[i] - 1;
    // One sequence's failure (no finite logit, a token the tokenizer cannot decode, bad_alloc)
    // ends that sequence alone.
    try {
      const TokenId token = seq.sampler.sample(
          std::span<const float>(logits.row(row), static_cast<size_t>(logits.n_vocab)));
      if (token < 0 || token >= n_vocab_) {
        fail(ErrorKind::kInternal, "sampled token {} outside the vocabulary [0, {})", token,
             n_vocab_);
      }
      ++generated;
      on_token(seq, token, now);
    } catch (const std::exception& e) {
      spdlog::error("request {}: sampling or decoding failed: {}", seq.id, e.what());
      fail_sequence(seq, ErrorKind::kInternal, fmt::format("internal error: {}", e.what()));
    }
  }
  counters_.generated_tokens += generated;
  token_rate_.add(now, generated);
}

void Engine::on_token(Sequence& seq, TokenId token, Clock::time_point now) {
  seq.tokens.push_back(token);
  seq.sampler.add_generated_token(token);
  ++seq.usage.completion_tokens;
  if (seq.usage.completion_tokens == 1) seq.timing.first_token = now;

  Event event;
  event.time = now;
  const bool eog = codec_ && codec_->is_end_of_generation(token);
  if (eog && !seq.request.ignore_eos) {
    finish(seq, FinishReason::kStop, std::move(event), now);  // EOG token and text not emitted
    return;
  }
  event.tokens.push_back(token);
  if (seq.decoder) {
    auto result = seq.stop.push(seq.decoder->push(token));
    event.text = std::move(result.emit);
    if (result.stopped) {
      finish(seq, FinishReason::kStop, std::move(event), now);
      return;
    }
  }
  if (seq.num_generated() >= seq.max_tokens || seq.num_tokens() >= ctx_size_) {
    finish(seq, FinishReason::kLength, std::move(event), now);
    return;
  }
  deliver(seq, std::move(event));
}

void Engine::finish(Sequence& seq, FinishReason reason, Event event, Clock::time_point now) {
  if (seq.decoder && reason != FinishReason::kStop) {
    // Flush any incomplete UTF-8 tail and text held back for a possible stop string.
    auto result = seq.stop.push(seq.decoder->flush());
    event.text += result.emit;
    if (!result.stopped) event.text += seq.stop.flush();
  }
  event.type = EventType::kFinished;
  event.time = now;
  event.finish_reason = reason;
  seq.timing.finished = now;
  event.usage = seq.usage;
  event.timing = seq.timing;
  scheduler_.remove(&seq);
  deliver(seq, std::move(event));
  ++counters_.requests_finished;
  drain_.add(now, 1);
  sequences_.erase(seq.id);  // destroys seq
}

void Engine::fail_sequence(Sequence& seq, ErrorKind kind, const std::string& message) {
  const auto now = Clock::now();
  Event event;
  event.type = EventType::kError;
  event.time = now;
  event.error_kind = kind;
  event.error_message = message;
  if (seq.state != SequenceState::kFinished) scheduler_.remove(&seq);
  deliver(seq, std::move(event));
  ++counters_.requests_finished;
  drain_.add(now, 1);
  sequences_.erase(seq.id);  // no-op for a sequence that never reached the map
}

void Engine::deliver(Sequence& seq, Event&& event) {
  PendingEvent p;
  p.id = seq.id;
  if (event.is_last()) {
    p.owned_sink = std::move(seq.sink);  // the sequence is about to be destroyed
  } else {
    p.sink = &seq.sink;  // the sequence lives until flush_events (it cannot finish before)
  }
  p.event = std::move(event);
  pending_.push_back(std::move(p));
}

void Engine::flush_events() {
  for (auto& p : pending_) {
    EventSink& sink = p.sink ? *p.sink : p.owned_sink;
    try {
      sink(std::move(p.event));
    } catch (const std::exception& e) {
      spdlog::error("event sink of request {} threw (sinks must not throw): {}", p.id, e.what());
    }
  }
  pending_.clear();
}

void Engine::publish_stats(Clock::time_point now) {
  EngineStats s = counters_;
  s.running = scheduler_.running_count();
  s.waiting = scheduler_.waiting_count();
  s.kv_blocks_used = allocator_.used_count();
  s.kv_blocks_cached = allocator_.cached_count();
  s.kv_blocks_free = allocator_.free_count();
  s.tokens_per_second = token_rate_.rate(now);
  s.drain_rate = drain_.rate(now);
  std::lock_guard lock(mu_);
  s.requests_rejected_overloaded = published_.requests_rejected_overloaded;
  published_ = s;
}

}  // namespace dsinfer::engine
