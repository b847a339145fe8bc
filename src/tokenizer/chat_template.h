// Chat templates: renders a model's own tokenizer.chat_template (a Jinja subset, evaluated
// natively) or, when the model has none or one we cannot render, a built-in template for its
// family (DeepSeek LLM/V2, DeepSeek V3, DeepSeek R1, Qwen2 ChatML).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/marked_text.h"

namespace dsinfer::gguf {
class GgufFile;
}

namespace dsinfer::tokenizer::jinja {
struct Node;
}

namespace dsinfer::tokenizer {

class Tokenizer;

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

// Built-in templates, used when the model's own cannot be used.
enum class ChatFamily {
  kDeepseekLlm,  // "User: ...\n\nAssistant:" (DeepSeek LLM chat, DeepSeek-V2 / V2-Lite chat)
  kDeepseekV3,   // "<｜User｜>...<｜Assistant｜>" (DeepSeek-V3)
  kDeepseekR1,   // V3 format, generation prompt opens "<think>\n" (R1, R1-Distill-*)
  kChatml,       // "<|im_start|>role\n...<|im_end|>\n" (Qwen2 instruct)
};

const char* chat_family_name(ChatFamily family);
// Jinja source of a built-in template (chat-only reductions of the published templates).
std::string_view builtin_chat_template(ChatFamily family);
// The family a model belongs to, from its pre-tokenizer and special tokens.
ChatFamily detect_chat_family(const Tokenizer& tokenizer);

// A parsed template. Immutable; render() is thread-safe.
class ChatTemplate {
 public:
  // Parses `source`; `bos_token` / `eos_token` are the texts the template sees as bos_token /
  // eos_token. Throws Error(kInvalidInput) when the template cannot be parsed or fails on a
  // probe conversation.
  static ChatTemplate from_string(std::string source, std::string bos_token, std::string eos_token);
  // The model's tokenizer.chat_template; when it is absent or cannot be rendered, the built-in
  // template of the model's family, with one warning logged (at this call).
  static ChatTemplate from_gguf(const gguf::GgufFile& file, const Tokenizer& tokenizer);

  // Renders a conversation into a prompt whose message texts (every string of `messages`) are
  // marked as caller text, wherever and however the template used them, so that tokenize() keeps
  // them plain text. `add_generation_prompt` appends the assistant turn opening (for R1
  // templates that includes "<think>\n"). Throws Error(kInvalidInput) for runtime template
  // errors, including the template's own raise_exception().
  MarkedText prompt(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  // Same, with the messages given as a JSON array of objects (any fields, kept in order; every
  // string and key is caller text). Throws Error(kInvalidInput) for malformed JSON.
  MarkedText prompt_json(std::string_view messages_json, bool add_generation_prompt) const;
  // The prompt's text alone (what a reference renderer prints).
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  std::string render_json(std::string_view messages_json, bool add_generation_prompt) const;

  // Token ids of a prompt: special (control and user-defined) tokens only from the template's own
  // text, never from caller text; BOS added only when the model wants one and the template did
  // not already write it. Thread-safe.
  std::vector<int32_t> tokenize(const Tokenizer& tokenizer, const MarkedText& prompt) const;

  // True when rendered prompts already start with the BOS text, so the caller must tokenize them
  // with parse_special on and add no BOS of its own.
  bool template_emits_bos() const { return emits_bos_; }
  bool is_builtin() const { return builtin_; }
  const std::string& source() const { return source_; }

 private:
  ChatTemplate() = default;

  std::string source_;
  std::string bos_token_;
  std::string eos_token_;
  // The parsed template (jinja_ast.h), shared by copies.
  std::shared_ptr<const std::vector<std::unique_ptr<jinja::Node>>> program_;
  bool emits_bos_ = false;
  bool builtin_ = false;
};

}  // namespace dsinfer::tokenizer
