// Request bodies and response reading for /v1/translate, /v1/chat/completions, /v1/completions.
#include "client/api_protocol.h"

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace dsinfer::client {

using nlohmann::json;

Api parse_api(std::string_view name) {
  if (name == "translate") return Api::kTranslate;
  if (name == "chat") return Api::kChat;
  if (name == "completions") return Api::kCompletions;
  fail(ErrorKind::kInvalidInput, "--api '{}' is not one of translate, chat, completions", name);
}

const char* api_name(Api api) {
  switch (api) {
    case Api::kTranslate:
      return "translate";
    case Api::kChat:
      return "chat";
    case Api::kCompletions:
      return "completions";
  }
  return "?";
}

const char* api_route(Api api) {
  switch (api) {
    case Api::kTranslate:
      return "/v1/translate";
    case Api::kChat:
      return "/v1/chat/completions";
    case Api::kCompletions:
      return "/v1/completions";
  }
  return "/";
}

std::string build_request_body(const RequestOptions& options, const Prompt& prompt) {
  json body;
  const std::optional<int> max_tokens = prompt.max_tokens ? prompt.max_tokens : options.max_tokens;
  switch (options.api) {
    case Api::kTranslate:
      body["text"] = prompt.text;
      if (!prompt.source_lang.empty()) body["source_lang"] = prompt.source_lang;
      body["target_lang"] = prompt.target_lang.empty() ? "en" : prompt.target_lang;
      if (!options.model.empty()) body["model"] = options.model;
      break;
    case Api::kChat:
      body["model"] = options.model;
      if (!prompt.messages_json.empty()) {
        json messages = json::parse(prompt.messages_json, nullptr, false);
        if (messages.is_discarded() || !messages.is_array()) {
          fail(ErrorKind::kInvalidInput, "workload prompt: \"messages\" is not a JSON array");
        }
        body["messages"] = std::move(messages);
      } else {
        body["messages"] = json::array({{{"role", "user"}, {"content", prompt.text}}});
      }
      if (options.ignore_eos) body["ignore_eos"] = true;
      break;
    case Api::kCompletions:
      body["model"] = options.model;
      body["prompt"] = prompt.text;
      if (options.ignore_eos) body["ignore_eos"] = true;
      break;
  }
  if (max_tokens) body["max_tokens"] = *max_tokens;
  body["temperature"] = options.temperature;
  body["stream"] = options.stream;
  if (options.stream && options.api != Api::kTranslate) {
    body["stream_options"] = {{"include_usage", true}};
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

std::size_t string_bytes(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get_ref<const std::string&>().size() : 0;
}

void read_usage(const json& j, ResponseUpdate& u) {
  const auto it = j.find("usage");
  if (it == j.end() || !it->is_object()) return;
  if (const auto p = it->find("prompt_tokens"); p != it->end() && p->is_number_integer()) {
    u.prompt_tokens = p->get<std::int64_t>();
  }
  if (const auto c = it->find("completion_tokens"); c != it->end() && c->is_number_integer()) {
    u.completion_tokens = c->get<std::int64_t>();
  }
  if (const auto d = it->find("prompt_tokens_details"); d != it->end() && d->is_object()) {
    if (const auto c = d->find("cached_tokens"); c != d->end() && c->is_number_integer()) {
      u.cached_prompt_tokens = c->get<std::int64_t>();
    }
  }
}

std::optional<std::int64_t> integer_field(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::optional<std::string> read_error(const json& j) {
  const auto it = j.find("error");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_object()) {
    if (const auto m = it->find("message"); m != it->end() && m->is_string())
      return m->get<std::string>();
  }
  if (it->is_string()) return it->get<std::string>();
  return it->dump(-1, ' ', false, json::error_handler_t::replace);
}

// Output text of the first choice: chat streams put it in delta.content (and R1-style models
// their reasoning in delta.reasoning_content); whole chat responses in message.*; completions
// in text.
std::size_t choice_bytes(const json& j, const char* holder) {
  const auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty()) return 0;
  const json& choice = (*choices)[0];
  if (!choice.is_object()) return 0;
  if (holder == nullptr) return string_bytes(choice, "text");
  const auto h = choice.find(holder);
  if (h == choice.end()) return 0;
  return string_bytes(*h, "content") + string_bytes(*h, "reasoning_content");
}

ResponseUpdate interpret_json(Api api, std::string_view text, bool streamed) {
  ResponseUpdate u;
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    u.error = streamed ? "stream event is not a JSON object" : "response body is not a JSON object";
    return u;
  }
  u.error = read_error(j);
  read_usage(j, u);
  switch (api) {
    case Api::kTranslate: {
      u.content_bytes = string_bytes(j, "translation");
      u.cached_segments = integer_field(j, "cached_segments");
      u.segments = integer_field(j, "segments");
      if (const auto t = j.find("translations"); t != j.end() && t->is_array()) {
        for (const auto& s : *t)
          u.content_bytes += s.is_string() ? s.get_ref<const std::string&>().size() : 0;
      }
      break;
    }
    case Api::kChat:
      u.content_bytes = choice_bytes(j, streamed ? "delta" : "message");
      break;
    case Api::kCompletions:
      u.content_bytes = choice_bytes(j, nullptr);
      break;
  }
  return u;
}

}  // namespace

ResponseUpdate interpret_stream_event(Api api, std::string_view data) {
  if (data == "[DONE]") {
    ResponseUpdate u;
    u.done = true;
    return u;
  }
  return interpret_json(api, data, true);
}

ResponseUpdate interpret_response_body(Api api, std::string_view body) {
  return interpret_json(api, body, false);
}

std::string error_message_of(std::string_view body, std::size_t limit) {
  std::string message;
  const json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    message = read_error(j).value_or(std::string(body));
  } else {
    message = std::string(body);
  }
  if (message.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
    message.resize(cut);
    message += "...";
  }
  return message;
}

}  // namespace dsinfer::client
