// A bounded, thread-safe queue of one request's events for callers that want to pull them
// (CLI, tests, benchmarks): the engine side never blocks; when full, token deltas coalesce.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/request.h"

namespace dsinfer::engine {

class RequestStream {
 public:
  // Holds at most `capacity` (>= 1) events; beyond that, a new token delta is merged into the
  // last queued one (a final event is always appended), so memory stays bounded by the request.
  explicit RequestStream(size_t capacity = 64);

  // The sink to pass to Engine::submit. It keeps the queue alive on its own (the stream may be
  // destroyed first). Never blocks.
  EventSink sink();

  // Blocks until the next event; nullopt once the last event has been taken. One consumer.
  std::optional<Event> next();
  // Same, giving up after `timeout` (returns nullopt; check done() to tell the cases apart).
  std::optional<Event> next_for(std::chrono::milliseconds timeout);
  // True once the last event has been taken.
  bool done() const;

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Event> events;
    size_t capacity = 64;
    bool last_queued = false;
    bool last_taken = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace dsinfer::engine
