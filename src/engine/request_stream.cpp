// Bounded pull-side event queue.
#include "engine/request_stream.h"

namespace dsinfer::engine {

RequestStream::RequestStream(size_t capacity) : state_(std::make_shared<State>()) {
  state_->capacity = capacity < 1 ? 1 : capacity;
}

EventSink RequestStream::sink() {
  return [state = state_](Event&& event) {
    {
      std::lock_guard lock(state->mu);
      if (state->last_queued) return;
      auto& q = state->events;
      if (event.type == EventType::kTokens && q.size() >= state->capacity &&
          q.back().type == EventType::kTokens) {
        auto& back = q.back();
        back.tokens.insert(back.tokens.end(), event.tokens.begin(), event.tokens.end());
        back.text += event.text;
        back.time = event.time;
      } else {
        state->last_queued = event.is_last();
        q.push_back(std::move(event));
      }
    }
    state->cv.notify_one();
  };
}

std::optional<Event> RequestStream::next_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mu);
  if (state_->last_taken) return std::nullopt;
  if (!state_->cv.wait_for(lock, timeout, [this] { return !state_->events.empty(); })) {
    return std::nullopt;
  }
  Event e = std::move(state_->events.front());
  state_->events.pop_front();
  if (e.is_last()) state_->last_taken = true;
  return e;
}

std::optional<Event> RequestStream::next() {
  std::unique_lock lock(state_->mu);
  if (state_->last_taken) return std::nullopt;
  state_->cv.wait(lock, [this] { return !state_->events.empty(); });
  Event e = std::move(state_->events.front());
  state_->events.pop_front();
  if (e.is_last()) state_->last_taken = true;
  return e;
}

bool RequestStream::done() const {
  std::lock_guard lock(state_->mu);
  return state_->last_taken;
}

}  // namespace dsinfer::engine
