// Pre-tokenizers: the regex splitting rules that cut text into words before BPE, one set per
// model family (tokenizer.ggml.pre), run with PCRE2 in UTF + UCP mode (JIT-compiled).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::tokenizer {

enum class PreTokenizerKind {
  kDeepseekLlm,    // "deepseek-llm": DeepSeek LLM 7B/67B, DeepSeek-V2 / V2-Lite
  kDeepseekCoder,  // "deepseek-coder"
  kDeepseekV3,     // "deepseek-v3": DeepSeek-V3 and R1
  kQwen2,          // "qwen2", "deepseek-r1-qwen" (R1-Distill-Qwen)
  kLlama3,         // "llama-bpe" (R1-Distill-Llama); whole-word vocabulary hits skip merging
  kGpt2,           // "gpt-2"
};

// Maps a tokenizer.ggml.pre name to its rules. Throws Error(kUnsupported) listing the supported
// names for anything else.
PreTokenizerKind parse_pre_tokenizer(std::string_view name);
// Comma-separated list of the supported names (for messages and --help).
std::string supported_pre_tokenizers();

// How the regexes run: JIT-compiled when the platform allows (the default), or always in PCRE2's
// interpreter (what a host without executable memory gets; tests force it).
enum class RegexEngine { kJitWhenAvailable, kInterpreter };

// Splits text into words. Immutable after construction; split() is thread-safe.
class PreTokenizer {
 public:
  explicit PreTokenizer(PreTokenizerKind kind, RegexEngine engine = RegexEngine::kJitWhenAvailable);
  ~PreTokenizer();
  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;

  PreTokenizerKind kind() const { return kind_; }

  // NOTE: like the reference's sequence of "Split" pre-tokenizers with isolated behaviour, each
  // regex in turn splits every current fragment: its matches and the text between them both
  // become fragments. Appends views into `text` (in order, covering all of it) to `words`.
  // Arbitrary bytes are accepted: ill-formed UTF-8 never matches and ends up in gap fragments.
  // In the interpreter each match runs under a work and memory limit; text that exceeds it is
  // refused (Error kInvalidInput, "too complex"), never a hang.
  void split(std::string_view text, std::vector<std::string_view>& words) const;

 private:
  struct Regex;
  PreTokenizerKind kind_;
  std::vector<std::unique_ptr<Regex>> regexes_;
};

}  // namespace dsinfer::tokenizer
