// The Engine API: submit / cancel / stats, safe from any thread. One engine thread owns the
// scheduler, the model and the KV cache; results go back through each request's EventSink.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "engine/engine_config.h"
#include "engine/kv_block_allocator.h"
#include "engine/rate_meter.h"
#include "engine/request.h"
#include "engine/scheduler.h"
#include "engine/sequence.h"
#include "engine/step_times.h"
#include "engine/text_codec.h"
#include "model/model.h"

namespace dsinfer::engine {

// submit() refused because the waiting queue is full (ErrorKind::kOverloaded); retry_after is a
// suggestion computed from the measured drain rate.
class OverloadedError : public Error {
 public:
  OverloadedError(const std::string& message, std::chrono::milliseconds retry_after)
      : Error(ErrorKind::kOverloaded, message), retry_after_(retry_after) {}
  std::chrono::milliseconds retry_after() const { return retry_after_; }

 private:
  std::chrono::milliseconds retry_after_;
};

// A consistent snapshot, published by the engine thread after every step.
struct EngineStats {
  int64_t running = 0;  // sequences holding KV blocks
  int64_t waiting = 0;  // queued (new or preempted), not yet running
  int64_t kv_blocks_total = 0;
  int64_t kv_blocks_used = 0;    // referenced by sequences
  int64_t kv_blocks_cached = 0;  // holding a cached prefix (used or not)
  int64_t kv_blocks_free = 0;    // allocatable now (clean + unused cached)
  int64_t kv_block_size = 0;
  int64_t ctx_size = 0;
  int64_t prefix_cache_query_tokens = 0;  // total prompt tokens looked up at admission
  int64_t prefix_cache_hit_tokens = 0;    // of which served from the cache
  int64_t computed_tokens = 0;            // tokens run through the model (prefill + decode)
  int64_t generated_tokens = 0;
  int64_t steps = 0;
  int64_t preemptions = 0;
  int64_t requests_submitted = 0;
  int64_t requests_finished = 0;  // any reason, errors included
  int64_t requests_rejected_overloaded = 0;
  // Steps that ran a prompt chunk (some sequence ran more than one token), and the others.
  StepTimes prefill_steps;
  StepTimes decode_steps;
  double tokens_per_second = 0;  // generated tokens/s over the last ~10 s
  double drain_rate = 0;         // finished requests/s over the last ~30 s
};

class Engine {
 public:
  // Starts the engine thread. `model` must outlive the engine; `codec` may be null (then only
  // token prompts work, no text is produced, and no token ends generation). The KV pool is the
  // model's (kv_block_size() x kv_block_count()); `ctx_size` (> 0) is the per-sequence limit.
  // Throws Error(kInvalidInput) for a bad config or a pool that cannot hold ctx_size tokens.
  Engine(model::Model& model, std::shared_ptr<const TextCodec> codec, const EngineConfig& config,
         int64_t ctx_size);
  // Stops the thread (see stop()).
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request; its events go to `sink` (called on the engine thread; see EventSink).
  // Thread-safe, never waits for the engine. Throws Error(kInvalidInput) for a bad request (the
  // message states the numbers: prompt, max_tokens, ctx-size, pool) and OverloadedError when
  // --max-waiting requests are already queued.
  RequestId submit(Request request, EventSink sink);

  // The checks submit() makes on a token prompt (sizes, vocabulary, sampling), without queueing
  // anything: lets a caller refuse a multi-request job whole before submitting any part of it.
  // Throws as submit() does. Thread-safe.
  void validate(const Request& request) const;

  // Asks the engine to end a request with reason kCancelled; its blocks are freed at the next
  // step. Thread-safe; no-op for an unknown or finished id.
  void cancel(RequestId id);

  // Stops the engine thread: requests still in flight end with an error event (kUnavailable),
  // delivered before stop() returns; later submit() calls throw Error(kUnavailable), cancel() is
  // a no-op, stats() keeps answering. Idempotent, thread-safe; must not be called from a sink.
  void stop();

  // Thread-safe snapshot.
  EngineStats stats() const;

  // Why the engine has failed for good, or nullopt while it serves. A step whose forward pass
  // throws Error(kDeviceLost) (the device cannot run anything again: VK_ERROR_DEVICE_LOST) fails
  // the engine: every request in flight ends with an error event of that kind, later submit()
  // calls throw it, the engine thread exits. Nothing else fails the engine: any other forward or
  // step error fails the requests of that step only, however often it repeats (a request that
  // trips a bug must not take the replica down). Thread-safe.
  std::optional<Error> failure() const;

  int64_t ctx_size() const { return ctx_size_; }
  const model::ModelInfo& model_info() const { return model_.info(); }
  const TextCodec* codec() const { return codec_.get(); }

 private:
  void run();
  // Fails every request, queued or in flight, with `kind`/`message` (engine thread, at exit);
  // returns how many.
  size_t fail_all(ErrorKind kind, const std::string& message);
  void take_inbox(std::unique_lock<std::mutex>& lock);
  void step();
  void expire_deadlines(Clock::time_point now);
  void process_logits(const StepPlan& plan, const model::Logits& logits, Clock::time_point now);
  void on_token(Sequence& seq, TokenId token, Clock::time_point now);
  void finish(Sequence& seq, FinishReason reason, Event event, Clock::time_point now);
  void fail_sequence(Sequence& seq, ErrorKind kind, const std::string& message);
  // Queues an event; flush_events() hands them to the sinks after the step's stats are public.
  void deliver(Sequence& seq, Event&& event);
  void flush_events();
  void publish_stats(Clock::time_point now);
  std::chrono::milliseconds retry_delay(int64_t waiting) const;

  model::Model& model_;
  std::shared_ptr<const TextCodec> codec_;
  EngineConfig config_;
  int64_t ctx_size_;
  int64_t n_vocab_;

  // Engine-thread state.
  KvBlockAllocator allocator_;
  Scheduler scheduler_;
  std::unordered_map<RequestId, std::unique_ptr<Sequence>> sequences_;
  RateMeter token_rate_{std::chrono::seconds(10)};
  RateMeter drain_{std::chrono::seconds(30)};
  EngineStats counters_;  // cumulative counters kept by the engine thread
  struct PendingEvent {
    RequestId id = 0;
    EventSink* sink = nullptr;  // a live sequence's sink, or
    EventSink owned_sink;       // the sink of a sequence that has finished
    Event event;
  };
  std::vector<PendingEvent> pending_;

  // Shared with submitting threads (guarded by mu_).
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Sequence>> inbox_;
  std::vector<RequestId> cancels_;
  bool stop_ = false;
  std::optional<Error> failure_;  // set once, by the engine thread
  RequestId next_id_ = 1;
  uint64_t seed_base_;
  EngineStats published_;

  std::mutex join_mu_;  // serialises stop() callers around the join
  std::thread thread_;  // last member: started after everything else is built
};

}  // namespace dsinfer::engine
