// What a caller gives the engine (Request, SamplingParams) and what it gets back (Event stream:
// token deltas, then exactly one finish or error event). Plain data, no HTTP or metrics types.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/batch.h"

namespace dsinfer::engine {

using TokenId = model::TokenId;
using Clock = std::chrono::steady_clock;

// Sampling settings of one request. Defaults = greedy (argmax, ties -> lowest id), no penalties.
struct SamplingParams {
  float temperature = 0.0f;         // <= 0: greedy
  int32_t top_k = 0;                // 0: off
  float top_p = 1.0f;               // 1: off
  float min_p = 0.0f;               // 0: off (relative to the most likely token)
  float repetition_penalty = 1.0f;  // 1: off; over prompt and generated tokens (CTRL-style)
  float presence_penalty = 0.0f;    // 0: off; over generated tokens (OpenAI-style)
  float frequency_penalty = 0.0f;   // 0: off; over generated tokens (OpenAI-style)
  std::optional<uint64_t> seed;     // absent: the engine picks one (non-reproducible)
};

// One generation request. Either `prompt_tokens` (used exactly as given) or `prompt_text`
// (tokenized at submit, with BOS when `add_bos`, or as the model's metadata says when unset).
// `prompt_text` is the caller's text: control-token text in it stays plain text unless
// `prompt_text_special` (for trusted callers such as the operator's own CLI prompt).
struct Request {
  std::vector<TokenId> prompt_tokens;
  std::optional<std::string> prompt_text;
  std::optional<bool> add_bos;       // only for prompt_text; unset = the model's metadata
  bool prompt_text_special = false;  // only for prompt_text: parse control tokens in it
  SamplingParams sampling;
  std::optional<int64_t> max_tokens;          // absent: up to the context limit
  std::vector<std::string> stop;              // stop strings (never emitted; may span tokens)
  bool ignore_eos = false;                    // keep generating past end-of-generation tokens
  int32_t priority = 0;                       // lower value is served first; FCFS within a value
  std::optional<Clock::time_point> deadline;  // passed: finishes with reason kTimeout
  // Part of work already admitted (a translation job's later segments, submitted as earlier ones
  // finish): never refused because the waiting queue is full. The submitter bounds how many such
  // requests it keeps in the engine.
  bool joins_admitted_work = false;
};

enum class FinishReason { kStop, kLength, kTimeout, kCancelled };

// "stop", "length", "timeout", "cancelled".
const char* finish_reason_name(FinishReason reason);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // prompt tokens served from the prefix cache (first admission)
};

// Timestamps of one request's life (steady clock). Unset ones are default-constructed (epoch).
struct Timing {
  Clock::time_point submitted;
  Clock::time_point first_scheduled;  // first time any of its tokens was computed
  Clock::time_point first_token;      // first generated token sampled
  Clock::time_point finished;
};

enum class EventType {
  kTokens,    // new tokens (and the text they completed; may be empty while held back)
  kFinished,  // last event: may carry final tokens/text, plus reason and usage
  kError,     // last event: the request failed (error_kind, error_message)
};

// One item of a request's stream. Token deltas may coalesce several tokens.
struct Event {
  EventType type = EventType::kTokens;
  std::vector<TokenId> tokens;
  std::string text;  // complete UTF-8 only; stop strings and end-of-generation text never appear
  Clock::time_point time;
  // kFinished:
  FinishReason finish_reason = FinishReason::kStop;
  Usage usage;
  Timing timing;
  // kError:
  ErrorKind error_kind = ErrorKind::kInternal;
  std::string error_message;

  bool is_last() const { return type != EventType::kTokens; }
};

// Receives a request's events, called on the engine thread in order. It must only hand the event
// off (post to an executor, push to a queue) and return at once: it must never block or call
// back into the engine synchronously in a way that waits. It must not throw.
using EventSink = std::function<void(Event&&)>;

using RequestId = uint64_t;

}  // namespace dsinfer::engine
