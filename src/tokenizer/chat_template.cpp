// Chat template loading, fallbacks and rendering (see chat_template.h).
#include "tokenizer/chat_template.h"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "gguf/gguf_file.h"
#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_evaluator.h"
#include "tokenizer/jinja_limits.h"
#include "tokenizer/jinja_parser.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer::tokenizer {

namespace {

#define DSINFER_FW_BAR "\xEF\xBD\x9C"   // U+FF5C FULLWIDTH VERTICAL LINE
#define DSINFER_LOW_BAR "\xE2\x96\x81"  // U+2581 LOWER ONE EIGHTH BLOCK

// NOTE: chat-only reductions of the families' published templates (tool-call branches
// removed); the conversation formats are the published ones byte for byte.
constexpr std::string_view kDeepseekLlmTemplate =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}"
    "{% endif %}{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n\\n' }}"
    "{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos_token }}"
    "{% elif message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

#define DSINFER_V3_HEAD                                                                  \
  "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}" \
  "{% endif %}{% set ns = namespace(system_prompt='') %}{%- for message in messages %}"  \
  "{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}" \
  "{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}"                       \
  "{%- for message in messages %}{%- if message['role'] == 'user' %}"                    \
  "{{ '<" DSINFER_FW_BAR "User" DSINFER_FW_BAR                                           \
  ">' + message['content'] }}{%- endif %}"                                               \
  "{%- if message['role'] == 'assistant' and message['content'] is not none %}"

constexpr std::string_view kDeepseekV3Template = DSINFER_V3_HEAD
    "{{ '<" DSINFER_FW_BAR "Assistant" DSINFER_FW_BAR ">' + message['content'] + '<" DSINFER_FW_BAR
    "end" DSINFER_LOW_BAR "of" DSINFER_LOW_BAR "sentence" DSINFER_FW_BAR
    ">' }}{%- endif %}"
    "{%- endfor -%}{% if add_generation_prompt %}{{ '<" DSINFER_FW_BAR "Assistant" DSINFER_FW_BAR
    ">' }}{% endif %}";

constexpr std::string_view kDeepseekR1Template = DSINFER_V3_HEAD
    "{% set content = message['content'] %}{% if '</think>' in content %}"
    "{% set content = content.split('</think>')[-1] %}{% endif %}"
    "{{ '<" DSINFER_FW_BAR "Assistant" DSINFER_FW_BAR ">' + content + '<" DSINFER_FW_BAR
    "end" DSINFER_LOW_BAR "of" DSINFER_LOW_BAR "sentence" DSINFER_FW_BAR
    ">' }}{%- endif %}"
    "{%- endfor -%}{% if add_generation_prompt %}{{ '<" DSINFER_FW_BAR "Assistant" DSINFER_FW_BAR
    "><think>\\n' }}{% endif %}";

constexpr std::string_view kChatmlTemplate =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

#undef DSINFER_V3_HEAD

jinja::Value messages_value(const std::vector<ChatMessage>& messages) {
  jinja::ValueList items;
  for (const auto& m : messages) {
    items.push_back(jinja::Value::from_object({{"role", jinja::Value::from_caller(m.role)},
                                               {"content", jinja::Value::from_caller(m.content)}}));
  }
  return jinja::Value::from_array(std::move(items));
}

jinja::Value from_json(const nlohmann::ordered_json& j, int depth = 0) {
  if (depth > jinja::kMaxValueDepth) {
    jinja::limit_exceeded(
        fmt::format("messages nested deeper than {} levels", jinja::kMaxValueDepth));
  }
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return jinja::Value::none();
    case nlohmann::ordered_json::value_t::boolean:
      return jinja::Value::from_bool(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned:
      return jinja::Value::from_int(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_float:
      return jinja::Value::from_float(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return jinja::Value::from_caller(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      jinja::ValueList items;
      for (const auto& item : j) items.push_back(from_json(item, depth + 1));
      return jinja::Value::from_array(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      jinja::ObjectEntries entries;
      for (const auto& [k, v] : j.items()) entries.emplace_back(k, from_json(v, depth + 1));
      jinja::Value o = jinja::Value::from_object(std::move(entries));
      o.caller_keys = true;
      return o;
    }
    default:
      return jinja::Value{};
  }
}

MarkedText render_program(const jinja::NodeList& program, const jinja::Value& messages,
                          bool add_generation_prompt, const std::string& bos,
                          const std::string& eos) {
  return jinja::render(program,
                       {{"messages", messages},
                        {"add_generation_prompt", jinja::Value::from_bool(add_generation_prompt)},
                        {"bos_token", jinja::Value::from_string(bos)},
                        {"eos_token", jinja::Value::from_string(eos)}});
}

std::string token_text(const Tokenizer& tok, int32_t id) {
  return id >= 0 ? tok.vocab().text(id) : std::string();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

const char* chat_family_name(ChatFamily family) {
  switch (family) {
    case ChatFamily::kDeepseekLlm:
      return "deepseek-llm";
    case ChatFamily::kDeepseekV3:
      return "deepseek-v3";
    case ChatFamily::kDeepseekR1:
      return "deepseek-r1";
    case ChatFamily::kChatml:
      return "chatml";
  }
  return "?";
}

std::string_view builtin_chat_template(ChatFamily family) {
  switch (family) {
    case ChatFamily::kDeepseekLlm:
      return kDeepseekLlmTemplate;
    case ChatFamily::kDeepseekV3:
      return kDeepseekV3Template;
    case ChatFamily::kDeepseekR1:
      return kDeepseekR1Template;
    case ChatFamily::kChatml:
      return kChatmlTemplate;
  }
  return kChatmlTemplate;
}

ChatFamily detect_chat_family(const Tokenizer& tokenizer) {
  const Vocab& v = tokenizer.vocab();
  switch (tokenizer.pre_tokenizer()) {
    case PreTokenizerKind::kDeepseekLlm:
    case PreTokenizerKind::kDeepseekCoder:
      return ChatFamily::kDeepseekLlm;
    case PreTokenizerKind::kDeepseekV3:
      return ChatFamily::kDeepseekV3;
    case PreTokenizerKind::kLlama3:
      return ChatFamily::kDeepseekR1;
    case PreTokenizerKind::kQwen2:
      if (v.find("<|im_start|>")) return ChatFamily::kChatml;
      return ChatFamily::kDeepseekR1;
    case PreTokenizerKind::kGpt2:
      return ChatFamily::kChatml;
  }
  return ChatFamily::kChatml;
}

ChatTemplate ChatTemplate::from_string(std::string source, std::string bos_token,
                                       std::string eos_token) {
  ChatTemplate t;
  t.program_ = std::make_shared<const jinja::NodeList>(jinja::parse_template(source));
  t.source_ = std::move(source);
  t.bos_token_ = std::move(bos_token);
  t.eos_token_ = std::move(eos_token);
  // Probe: a template that fails on a plain conversation is of no use.
  const std::string probe =
      t.render({{"system", "S"}, {"user", "U"}, {"assistant", "A"}, {"user", "V"}}, true);
  t.emits_bos_ = !t.bos_token_.empty() && probe.compare(0, t.bos_token_.size(), t.bos_token_) == 0;
  return t;
}

ChatTemplate ChatTemplate::from_gguf(const gguf::GgufFile& file, const Tokenizer& tokenizer) {
  const std::string bos = token_text(tokenizer, tokenizer.bos_id());
  const std::string eos = token_text(tokenizer, tokenizer.eos_id());
  ChatFamily family = detect_chat_family(tokenizer);
  const std::string name = lower(file.metadata().get_string_opt("general.name").value_or(""));
  if (family == ChatFamily::kDeepseekV3 && name.find("r1") != std::string::npos) {
    family = ChatFamily::kDeepseekR1;
  }
  const auto own = file.metadata().get_string_opt("tokenizer.chat_template");
  std::string reason = "the model has no chat template";
  if (own) {
    try {
      return from_string(*own, bos, eos);
    } catch (const jinja::TemplateLimitError& e) {
      // Hostile rather than merely unsupported: refuse the model instead of falling back.
      fail(ErrorKind::kBadFile, "{}: tokenizer.chat_template is refused: {}", file.path(),
           e.what());
    } catch (const Error& e) {
      reason = std::string("its chat template cannot be rendered (") + e.what() + ")";
    }
  }
  spdlog::warn("{}: {}; using the built-in '{}' chat template", file.path(), reason,
               chat_family_name(family));
  ChatTemplate t = from_string(std::string(builtin_chat_template(family)), bos, eos);
  t.builtin_ = true;
  return t;
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt) const {
  return prompt(messages, add_generation_prompt).text;
}

MarkedText ChatTemplate::prompt(const std::vector<ChatMessage>& messages,
                                bool add_generation_prompt) const {
  return render_program(*program_, messages_value(messages), add_generation_prompt, bos_token_,
                        eos_token_);
}

std::vector<int32_t> ChatTemplate::tokenize(const Tokenizer& tokenizer,
                                            const MarkedText& prompt) const {
  const bool add_bos = tokenizer.add_bos_default() && !emits_bos_;
  return tokenizer.encode(prompt, add_bos);
}

std::string ChatTemplate::render_json(std::string_view messages_json,
                                      bool add_generation_prompt) const {
  return prompt_json(messages_json, add_generation_prompt).text;
}

MarkedText ChatTemplate::prompt_json(std::string_view messages_json,
                                     bool add_generation_prompt) const {
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(messages_json);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::kInvalidInput, "messages: invalid JSON: {}", e.what());
  }
  if (j.is_object() && j.contains("messages")) j = j["messages"];
  if (!j.is_array()) fail(ErrorKind::kInvalidInput, "messages: expected a JSON array of messages");
  return render_program(*program_, from_json(j), add_generation_prompt, bos_token_, eos_token_);
}

}  // namespace dsinfer::tokenizer
