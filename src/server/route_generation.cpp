// POST /v1/chat/completions and POST /v1/completions (OpenAI-compatible, streaming or not).
#include <chrono>
#include <mutex>

#include <fmt/format.h>

#include "engine/engine.h"
#include "server/answer_error.h"
#include "server/api_error.h"
#include "server/exchange_submission.h"
#include "server/json_fields.h"
#include "server/reasoning_splitter.h"
#include "server/server_context.h"

namespace dsinfer::server {
namespace {

using Clock = std::chrono::steady_clock;

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Text of a message "content": a string, or an array of {"type":"text","text":...} parts.
// Only an assistant message may leave it out (as OpenAI's API).
std::string message_content(const Json& msg, size_t index, bool required) {
  const auto it = msg.find("content");
  const std::string field = fmt::format("messages[{}].content", index);
  if (it == msg.end() || it->is_null()) {
    if (required) throw FieldError(field, field + " is required");
    return "";
  }
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    std::string text;
    for (const auto& part : *it) {
      const auto type = part.is_object() ? part.find("type") : part.end();
      if (!part.is_object() || type == part.end() || !type->is_string() ||
          type->get<std::string>() != "text" || !part.contains("text") ||
          !part["text"].is_string()) {
        throw FieldError(
            field, field + ": only text parts ({\"type\":\"text\",\"text\":...}) are supported");
      }
      text += part["text"].get<std::string>();
    }
    return text;
  }
  throw FieldError(field, field + " must be a string or an array of text parts");
}

// Everything a generation request carries besides its prompt.
struct GenerationSpec {
  bool chat = true;
  bool stream = false;
  bool include_usage = false;
  bool reasoning = false;
  engine::Request request;
};

void parse_common(const Json& body, GenerationSpec& g, const ServerContext& ctx) {
  g.stream = opt_bool(body, "stream").value_or(false);
  if (const auto it = body.find("stream_options"); it != body.end() && it->is_object()) {
    g.include_usage = opt_bool(*it, "include_usage").value_or(false);
  }
  if (const auto n = opt_int(body, "n", 1, 1 << 20); n && *n != 1) {
    throw FieldError("n", "'n' > 1 is not supported");
  }
  if (const auto it = body.find("logit_bias");
      it != body.end() && !it->is_null() && !(it->is_object() && it->empty())) {
    throw FieldError("logit_bias", "'logit_bias' is not supported");
  }
  for (const char* unsupported : {"tools", "functions", "logprobs", "tool_choice"}) {
    const auto it = body.find(unsupported);
    if (it != body.end() && !it->is_null() && !(it->is_boolean() && !it->get<bool>())) {
      throw FieldError(unsupported, fmt::format("'{}' is not supported", unsupported));
    }
  }
  auto& r = g.request;
  auto max_tokens = opt_int(body, "max_completion_tokens", 1, 1 << 24);
  if (!max_tokens) max_tokens = opt_int(body, "max_tokens", 1, 1 << 24);
  r.max_tokens = max_tokens;
  auto& s = r.sampling;
  s.temperature = static_cast<float>(opt_number(body, "temperature", 0, 2).value_or(1.0));
  s.top_p = static_cast<float>(opt_number(body, "top_p", 0, 1).value_or(1.0));
  if (s.top_p <= 0) throw FieldError("top_p", "'top_p' must be > 0");
  s.top_k = static_cast<int32_t>(opt_int(body, "top_k", 0, 1 << 20).value_or(0));
  s.min_p = static_cast<float>(opt_number(body, "min_p", 0, 1).value_or(0));
  s.presence_penalty = static_cast<float>(opt_number(body, "presence_penalty", -2, 2).value_or(0));
  s.frequency_penalty =
      static_cast<float>(opt_number(body, "frequency_penalty", -2, 2).value_or(0));
  s.repetition_penalty =
      static_cast<float>(opt_number(body, "repetition_penalty", 0.01, 10).value_or(1));
  if (const auto seed = opt_int(body, "seed", INT64_MIN, INT64_MAX)) {
    s.seed = static_cast<uint64_t>(*seed);
  }
  r.stop = opt_string_list(body, "stop", 16);
  r.ignore_eos = opt_bool(body, "ignore_eos").value_or(false);
  r.priority = static_cast<int32_t>(opt_int(body, "priority", -1000, 1000).value_or(0));
  r.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(ctx.config.request_timeout_s));
}

// Shared state of one generation between the engine thread and the HTTP side.
struct GenerationState {
  std::mutex mu;
  std::shared_ptr<Exchange> ex;
  GenerationSpec spec;
  std::string id;
  std::string model;
  int64_t created = 0;
  ReasoningSplitter splitter{false};
  std::string content;
  std::string reasoning;
  bool sent_role = false;
  bool done = false;
};

Json chunk_base(const GenerationState& st) {
  return {{"id", st.id},
          {"object", st.spec.chat ? "chat.completion.chunk" : "text_completion"},
          {"created", st.created},
          {"model", st.model}};
}

Json usage_json(const engine::Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_prompt_tokens}}}};
}

std::string sse(const Json& j) {
  return "data: " + j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
}

void send_delta(GenerationState& st, const ReasoningSplitter::Parts& parts) {
  if (parts.reasoning.empty() && parts.content.empty() && st.sent_role) return;
  Json choice = {{"index", 0}, {"finish_reason", nullptr}};
  if (st.spec.chat) {
    Json delta = Json::object();
    if (!st.sent_role) delta["role"] = "assistant";
    if (!parts.reasoning.empty()) delta["reasoning_content"] = parts.reasoning;
    if (!parts.content.empty() || st.sent_role) delta["content"] = parts.content;
    if (!st.sent_role && parts.content.empty()) delta["content"] = "";
    choice["delta"] = delta;
  } else {
    choice["text"] = parts.reasoning + parts.content;
  }
  st.sent_role = true;
  Json chunk = chunk_base(st);
  chunk["choices"] = Json::array({choice});
  st.ex->send(sse(chunk));
}

void record_timing(GenerationState& st, const engine::Event& ev) {
  std::lock_guard lock(st.ex->stats_mutex());
  auto& s = st.ex->stats();
  s.admitted = true;
  s.prompt_tokens = ev.usage.prompt_tokens;
  s.completion_tokens = ev.usage.completion_tokens;
  s.cached_tokens = ev.usage.cached_prompt_tokens;
  const auto& t = ev.timing;
  if (t.first_scheduled.time_since_epoch().count() != 0) {
    s.queue_s = secs(t.first_scheduled - t.submitted);
  }
  if (t.first_token.time_since_epoch().count() != 0) {
    s.ttft_s = secs(t.first_token - st.ex->arrived());
    if (ev.usage.completion_tokens > 1) {
      s.tpot_s =
          secs(t.finished - t.first_token) / static_cast<double>(ev.usage.completion_tokens - 1);
    }
  }
}

void on_event(const std::shared_ptr<GenerationState>& st, engine::Event&& ev) {
  std::lock_guard lock(st->mu);
  if (st->done) return;
  if (ev.type != engine::EventType::kError) {
    auto parts = st->splitter.push(ev.text);
    if (ev.is_last()) {
      auto tail = st->splitter.flush();
      parts.reasoning += tail.reasoning;
      parts.content += tail.content;
    }
    st->content += parts.content;
    st->reasoning += parts.reasoning;
    if (st->spec.stream) send_delta(*st, parts);
  }
  if (!ev.is_last()) return;
  st->done = true;
  const bool failed =
      ev.type == engine::EventType::kError || ev.finish_reason == engine::FinishReason::kTimeout;
  if (ev.type == engine::EventType::kFinished) record_timing(*st, ev);
  if (failed) {
    const ErrorKind kind =
        ev.type == engine::EventType::kError ? ev.error_kind : ErrorKind::kTimeout;
    const std::string msg = ev.type == engine::EventType::kError
                                ? ev.error_message
                                : "the request did not finish within --request-timeout";
    answer_error(*st->ex, kind, msg);
    return;
  }
  if (ev.finish_reason == engine::FinishReason::kCancelled) {
    st->ex->abandon();  // only a client that went away cancels (submit_exchange)
    return;
  }
  const char* reason = ev.finish_reason == engine::FinishReason::kLength ? "length" : "stop";
  if (st->spec.stream) {
    Json choice = {{"index", 0}, {"finish_reason", reason}};
    if (st->spec.chat) {
      choice["delta"] = Json::object();
    } else {
      choice["text"] = "";
    }
    Json chunk = chunk_base(*st);
    chunk["choices"] = Json::array({choice});
    st->ex->send(sse(chunk));
    if (st->spec.include_usage) {
      Json u = chunk_base(*st);
      u["choices"] = Json::array();
      u["usage"] = usage_json(ev.usage);
      st->ex->send(sse(u));
    }
    st->ex->send("data: [DONE]\n\n");
    st->ex->finish_stream();
    return;
  }
  Json choice = {{"index", 0}, {"finish_reason", reason}};
  if (st->spec.chat) {
    Json message = {{"role", "assistant"}, {"content", st->content}};
    if (st->spec.reasoning) message["reasoning_content"] = st->reasoning;
    choice["message"] = message;
  } else {
    choice["text"] = st->reasoning + st->content;
  }
  Json body = {{"id", st->id},
               {"object", st->spec.chat ? "chat.completion" : "text_completion"},
               {"created", st->created},
               {"model", st->model},
               {"choices", Json::array({choice})},
               {"usage", usage_json(ev.usage)}};
  st->ex->respond(200, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

void run_generation(ServerContext& ctx, const std::shared_ptr<Exchange>& ex, GenerationSpec spec) {
  auto st = std::make_shared<GenerationState>();
  st->ex = ex;
  st->splitter = ReasoningSplitter(spec.reasoning);
  st->spec = std::move(spec);
  st->id = (st->spec.chat ? "chatcmpl-" : "cmpl-") + ex->request_id();
  st->model = ctx.model_name;
  st->created = unix_now();
  engine::Engine& engine = *ctx.loaded->engine;
  submit_exchange(ctx, ex, st->spec.stream, [&]() -> Cancel {
    const engine::RequestId id =
        engine.submit(st->spec.request, [st](engine::Event&& ev) { on_event(st, std::move(ev)); });
    return [&engine, id] { engine.cancel(id); };
  });
}

}  // namespace

void handle_chat_completions(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const Json body = parse_json_object(ex->request().body());
  GenerationSpec spec;
  spec.chat = true;
  const auto it = body.find("messages");
  if (it == body.end() || !it->is_array() || it->empty()) {
    throw FieldError("messages", "'messages' must be a non-empty array");
  }
  std::vector<tokenizer::ChatMessage> messages;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& m = (*it)[i];
    if (!m.is_object())
      throw FieldError("messages", fmt::format("messages[{}] must be an object", i));
    const auto role = opt_string(m, "role");
    if (!role ||
        (*role != "system" && *role != "user" && *role != "assistant" && *role != "developer")) {
      throw FieldError(fmt::format("messages[{}].role", i),
                       fmt::format("messages[{}].role must be system, user or assistant", i));
    }
    messages.push_back(
        {*role == "developer" ? "system" : *role, message_content(m, i, *role != "assistant")});
  }
  parse_common(body, spec, ctx);
  auto prompt = ctx.chat_template->prompt(messages, true);
  if (ctx.config.special_tokens_in_prompts) prompt.untrusted.clear();  // trusted callers only
  for (int32_t id : ctx.chat_template->tokenize(*ctx.loaded->tokenizer, prompt)) {
    spec.request.prompt_tokens.push_back(id);
  }
  spec.reasoning = ctx.opens_think;
  run_generation(ctx, ex, std::move(spec));
}

void handle_completions(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const Json body = parse_json_object(ex->request().body());
  GenerationSpec spec;
  spec.chat = false;
  const auto it = body.find("prompt");
  if (it == body.end()) throw FieldError("prompt", "'prompt' is required");
  const auto& tok = *ctx.loaded->tokenizer;
  // The prompt is the caller's text: control-token text in it stays text unless trusted.
  const auto caller_text = [&](std::string s) {
    return ctx.config.special_tokens_in_prompts ? tokenizer::MarkedText::trusted(std::move(s))
                                                : tokenizer::MarkedText::from_caller(std::move(s));
  };
  if (it->is_string()) {
    for (int32_t id : tok.encode(caller_text(it->get<std::string>()), tok.add_bos_default())) {
      spec.request.prompt_tokens.push_back(id);
    }
  } else if (it->is_array() && it->size() == 1 && (*it)[0].is_string()) {
    for (int32_t id : tok.encode(caller_text((*it)[0].get<std::string>()), tok.add_bos_default())) {
      spec.request.prompt_tokens.push_back(id);
    }
  } else if (it->is_array() && !it->empty() && (*it)[0].is_number_integer()) {
    for (const auto& v : *it) {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= tok.n_vocab()) {
        throw FieldError("prompt",
                         fmt::format("'prompt' token ids must be in 0..{}", tok.n_vocab() - 1));
      }
      spec.request.prompt_tokens.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
  } else {
    throw FieldError("prompt", "'prompt' must be a string, [string] or an array of token ids");
  }
  if (spec.request.prompt_tokens.empty()) throw FieldError("prompt", "'prompt' is empty");
  parse_common(body, spec, ctx);
  if (!spec.request.max_tokens) spec.request.max_tokens = 16;  // OpenAI's default
  run_generation(ctx, ex, std::move(spec));
}

}  // namespace dsinfer::server
