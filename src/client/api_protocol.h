// The three request shapes the load generator speaks (dsinfer /v1/translate, OpenAI chat and
// completions): request bodies, and the reading of streamed SSE events and whole responses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dsinfer::client {

enum class Api { kTranslate, kChat, kCompletions };

// "translate" | "chat" | "completions"; throws Error(kInvalidInput) otherwise.
Api parse_api(std::string_view name);
const char* api_name(Api api);
// The route of the API: "/v1/translate", "/v1/chat/completions", "/v1/completions".
const char* api_route(Api api);

// One prompt of a workload. For chat/completions `text` is the whole user prompt; for
// translate it is the text to translate and the languages say which way.
struct Prompt {
  std::string text;
  std::string source_lang;        // translate only; may be empty (server detects)
  std::string target_lang;        // translate only
  std::string messages_json;      // chat only: a JSON array of messages given by a JSONL workload
  std::optional<int> max_tokens;  // per-prompt override of --max-tokens
};

struct RequestOptions {
  Api api = Api::kChat;
  std::string model;  // sent as "model" (chat/completions; translate when non-empty)
  // Sent as "max_tokens"; nullopt: not sent (the server's default, e.g. dsinfer's per-segment
  // 2 x source tokens + 32 for translate, which is also what its translation cache stores).
  std::optional<int> max_tokens = 64;
  bool ignore_eos = true;  // chat/completions only (vLLM and llama.cpp accept it)
  bool stream = true;
  double temperature = 0.0;
};

// The JSON body of one request. Pure; throws Error(kInvalidInput) when a prompt's
// messages_json is not a JSON array.
std::string build_request_body(const RequestOptions& options, const Prompt& prompt);

// What one streamed event (or a whole non-streamed body) tells about the response.
struct ResponseUpdate {
  std::size_t content_bytes = 0;  // > 0: this event carried output text (one output chunk)
  std::optional<std::int64_t> prompt_tokens;      // from "usage", when present
  std::optional<std::int64_t> completion_tokens;  // from "usage", when present
  // Prompt tokens the server's prefix cache served: usage.prompt_tokens_details.cached_tokens.
  std::optional<std::int64_t> cached_prompt_tokens;
  // Translate: segments answered from the server's translation cache ("cached_segments") and
  // all segments of the request ("segments"), when the server reports them.
  std::optional<std::int64_t> cached_segments;
  std::optional<std::int64_t> segments;
  std::optional<std::string> error;  // the server reported an error (or the payload is bad)
  bool done = false;                 // "[DONE]"
};

// Reads the `data` of one SSE event of `api`. Never throws: malformed JSON is reported as an
// error update (the benchmark counts it, it does not stop).
ResponseUpdate interpret_stream_event(Api api, std::string_view data);

// Reads a whole non-streamed 200 response body. Never throws (errors as above).
ResponseUpdate interpret_response_body(Api api, std::string_view body);

// The human-readable message of an error body ({"error":{"message":...}} or any text),
// shortened to at most `limit` bytes (at a UTF-8 boundary).
std::string error_message_of(std::string_view body, std::size_t limit = 200);

}  // namespace dsinfer::client
