// Pre-tokenizer regexes per model family and the PCRE2 splitting loop (see pre_tokenizer.h).
#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>

#include "base/error.h"

namespace dsinfer::tokenizer {

namespace {

// Split regexes of each family, in application order, as published in the families'
// tokenizer.json files (Split pre-tokenizers, behaviour "Isolated"). Non-ASCII characters are
// written as \x{...} so that no editor normalisation can change them.
// DeepSeek LLM: letters of cased scripts (a fixed list of ranges), punctuation, trailing
// whitespace, CJK runs, digit runs.
constexpr std::string_view kDeepseekLlmLetters =
    R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293})"
    R"(\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A})"
    R"(\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556})"
    R"(\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF})"
    R"(\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D})"
    R"(\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D})"
    R"(\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4})"
    R"(\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4})"
    R"(\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124})"
    R"(\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F})"
    R"(\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4})"
    R"(\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F})"
    R"(\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17})"
    R"(\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3})"
    R"(\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF})"
    R"(\x{1E900}-\x{1E943}]+)";
constexpr std::string_view kDeepseekLlmPunct =
    R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)";
constexpr std::string_view kDeepseekCjk =
    R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";
constexpr std::string_view kDeepseekV3Cjk =
    R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)";
constexpr std::string_view kDeepseekV3Main =
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|)"
    R"( ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// The reference's case-insensitive contractions (?i:'s|'t|...) spelled out with ASCII classes
// (PCRE2's Unicode case folding would also accept e.g. U+017F for 's').
constexpr std::string_view kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|)"
    R"( ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";

std::vector<std::string_view> regexes_for(PreTokenizerKind kind) {
  switch (kind) {
    case PreTokenizerKind::kDeepseekLlm:
      return {R"([\r\n])", kDeepseekLlmLetters, kDeepseekLlmPunct,
              R"(\s+$)",   kDeepseekCjk,        R"(\p{N}+)"};
    case PreTokenizerKind::kDeepseekCoder:
      return {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kDeepseekCjk, R"(\p{N})"};
    case PreTokenizerKind::kDeepseekV3:
      return {R"(\p{N}{1,3})", kDeepseekV3Cjk, kDeepseekV3Main};
    case PreTokenizerKind::kQwen2:
      return {kQwen2};
    case PreTokenizerKind::kLlama3:
      return {kLlama3};
    case PreTokenizerKind::kGpt2:
      return {kGpt2};
  }
  return {};
}

struct NamedKind {
  std::string_view name;
  PreTokenizerKind kind;
};
constexpr std::array<NamedKind, 7> kNames = {{
    {"deepseek-llm", PreTokenizerKind::kDeepseekLlm},
    {"deepseek-coder", PreTokenizerKind::kDeepseekCoder},
    {"deepseek-v3", PreTokenizerKind::kDeepseekV3},
    {"deepseek-r1-qwen", PreTokenizerKind::kQwen2},
    {"qwen2", PreTokenizerKind::kQwen2},
    {"llama-bpe", PreTokenizerKind::kLlama3},
    {"gpt-2", PreTokenizerKind::kGpt2},
}};

std::string pcre2_message(int code) {
  std::array<PCRE2_UCHAR, 256> buf{};
  pcre2_get_error_message(code, buf.data(), buf.size());
  return reinterpret_cast<const char*>(buf.data());
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* md) const { pcre2_match_data_free(md); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* mc) const { pcre2_match_context_free(mc); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* js) const { pcre2_jit_stack_free(js); }
};

// Per-call matching state: match data, and a large JIT stack created only if a match needs it.
struct MatchState {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> data{pcre2_match_data_create(1, nullptr)};
  std::unique_ptr<pcre2_match_context, MatchContextDeleter> context;
  std::unique_ptr<pcre2_jit_stack, JitStackDeleter> jit_stack;

  // NOTE: PCRE2's interpreter defaults allow ~20 GB of backtracking heap per match; without JIT
  // a hostile text could make one match take that. One token per match needs far less.
  std::unique_ptr<pcre2_match_context, MatchContextDeleter> limited;
  pcre2_match_context* limit() {
    if (!limited) {
      limited.reset(pcre2_match_context_create(nullptr));
      if (!limited) fail(ErrorKind::kInternal, "pre-tokenizer: out of memory");
      pcre2_set_match_limit(limited.get(), 10'000'000);
      pcre2_set_heap_limit(limited.get(), 64 * 1024);  // KiB
    }
    return limited.get();
  }

  void grow_jit_stack() {
    context.reset(pcre2_match_context_create(nullptr));
    jit_stack.reset(pcre2_jit_stack_create(64 * 1024, 64 * 1024 * 1024, nullptr));
    if (!context || !jit_stack) fail(ErrorKind::kInternal, "pre-tokenizer: out of memory");
    pcre2_jit_stack_assign(context.get(), nullptr, jit_stack.get());
  }
};

size_t utf8_char_length(uint8_t lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

}  // namespace

struct PreTokenizer::Regex {
  pcre2_code* code = nullptr;
  bool jit = false;  // JIT-compiled; otherwise the interpreter runs under kInterpreterLimits
  ~Regex() { pcre2_code_free(code); }
};

PreTokenizerKind parse_pre_tokenizer(std::string_view name) {
  for (const auto& n : kNames) {
    if (n.name == name) return n.kind;
  }
  fail(ErrorKind::kUnsupported, "pre-tokenizer '{}' is not supported (supported: {})", name,
       supported_pre_tokenizers());
}

std::string supported_pre_tokenizers() {
  std::string out;
  for (const auto& n : kNames) {
    if (!out.empty()) out += ", ";
    out += n.name;
  }
  return out;
}

PreTokenizer::PreTokenizer(PreTokenizerKind kind, RegexEngine engine) : kind_(kind) {
  for (std::string_view pattern : regexes_for(kind)) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    auto regex = std::make_unique<Regex>();
    regex->code =
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                      PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                      &error, &offset, nullptr);
    if (regex->code == nullptr) {
      fail(ErrorKind::kInternal, "pre-tokenizer regex does not compile at offset {}: {}", offset,
           pcre2_message(error));
    }
    // JIT is an optimisation: without it (e.g. no executable memory) matching still works, in
    // the interpreter, with bounded work and memory per match (see MatchState::limit).
    regex->jit = engine == RegexEngine::kJitWhenAvailable &&
                 pcre2_jit_compile(regex->code, PCRE2_JIT_COMPLETE) == 0;
    regexes_.push_back(std::move(regex));
  }
}

PreTokenizer::~PreTokenizer() = default;
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& words) const {
  if (text.empty()) return;
  std::vector<std::string_view> current{text};
  std::vector<std::string_view> next;
  MatchState state;
  if (!state.data) fail(ErrorKind::kInternal, "pre-tokenizer: out of memory");
  for (const auto& regex : regexes_) {
    next.clear();
    for (std::string_view frag : current) {
      const auto* subject = reinterpret_cast<PCRE2_SPTR>(frag.data());
      size_t pos = 0;        // where the next search starts
      size_t gap_start = 0;  // start of text not yet emitted
      while (pos < frag.size()) {
        int rc = pcre2_match(regex->code, subject, frag.size(), pos, 0, state.data.get(),
                             regex->jit ? state.context.get() : state.limit());
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !state.jit_stack) {
          state.grow_jit_stack();
          rc = pcre2_match(regex->code, subject, frag.size(), pos, 0, state.data.get(),
                           state.context.get());
        }
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
            rc == PCRE2_ERROR_DEPTHLIMIT) {
          fail(ErrorKind::kInvalidInput,
               "text too complex to pre-tokenize at byte {} (regex match limit: {})", pos,
               pcre2_message(rc));
        }
        if (rc < 0) {
          fail(ErrorKind::kInternal, "pre-tokenizer: regex match failed: {}", pcre2_message(rc));
        }
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(state.data.get());
        const size_t begin = ov[0];
        const size_t end = ov[1];
        if (end == begin) {  // empty match: never emitted; step over one character
          if (begin >= frag.size()) break;
          pos = begin + utf8_char_length(static_cast<uint8_t>(frag[begin]));
          continue;
        }
        if (begin > gap_start) next.push_back(frag.substr(gap_start, begin - gap_start));
        next.push_back(frag.substr(begin, end - begin));
        gap_start = end;
        pos = end;
      }
      if (gap_start < frag.size()) next.push_back(frag.substr(gap_start));
    }
    current.swap(next);
  }
  words.insert(words.end(), current.begin(), current.end());
}

}  // namespace dsinfer::tokenizer
