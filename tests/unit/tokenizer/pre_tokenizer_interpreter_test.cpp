// The pre-tokenizer without PCRE2's JIT (a host without executable memory): the interpreter
// splits exactly as the JIT does, and hostile text meets its work limit with a clear error
// instead of running for minutes or exhausting memory.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "tokenizer/pre_tokenizer.h"

namespace dsinfer::tokenizer {
namespace {

constexpr PreTokenizerKind kKinds[] = {
    PreTokenizerKind::kDeepseekLlm, PreTokenizerKind::kDeepseekCoder, PreTokenizerKind::kDeepseekV3,
    PreTokenizerKind::kQwen2,       PreTokenizerKind::kLlama3,        PreTokenizerKind::kGpt2,
};

std::vector<std::string_view> split(const PreTokenizer& pre, std::string_view text) {
  std::vector<std::string_view> words;
  pre.split(text, words);
  return words;
}

// Text mixing what the regexes distinguish: letters of several scripts, digits, spaces, tabs,
// newlines, punctuation, contractions, and bytes that are not UTF-8.
std::string mixed_text(std::mt19937& rng, size_t pieces) {
  static const char* kPieces[] = {"Hello",
                                  " world",
                                  "'s",
                                  "'LL",
                                  "  ",
                                  "\t",
                                  "\n",
                                  "\r\n",
                                  "123456",
                                  "4",
                                  "今天",
                                  "天气很好",
                                  "。",
                                  "Привет",
                                  "ñandú",
                                  "!!",
                                  "?",
                                  "…",
                                  "\xF0\x9F\x98\x80",
                                  "\xC3",
                                  "\xFF\xFE",
                                  " ",
                                  "   \n\n  ",
                                  "a",
                                  "_x_",
                                  "ὕδωρ",
                                  "١٢٣"};
  std::uniform_int_distribution<size_t> pick(0, std::size(kPieces) - 1);
  std::string out;
  for (size_t i = 0; i < pieces; ++i) out += kPieces[pick(rng)];
  return out;
}

TEST(PreTokenizerInterpreter, SplitsExactlyAsTheJit) {
  std::mt19937 rng(20261206);
  for (const auto kind : kKinds) {
    const PreTokenizer jit(kind);
    const PreTokenizer interpreter(kind, RegexEngine::kInterpreter);
    for (int round = 0; round < 40; ++round) {
      const std::string text = mixed_text(rng, 1 + round * 3);
      ASSERT_EQ(split(jit, text), split(interpreter, text))
          << "kind " << static_cast<int>(kind) << ", text: " << text;
    }
  }
}

TEST(PreTokenizerInterpreter, LongRunsStillSplitAsTheJit) {
  // Long but ordinary runs (a 64 KiB word, whitespace, digits) stay within the limits.
  const std::string text = std::string(64 * 1024, 'a') + std::string(4096, ' ') + "b" +
                           std::string(4096, '7') + std::string(2048, '\n');
  for (const auto kind : kKinds) {
    const PreTokenizer jit(kind);
    const PreTokenizer interpreter(kind, RegexEngine::kInterpreter);
    EXPECT_EQ(split(jit, text), split(interpreter, text)) << "kind " << static_cast<int>(kind);
  }
}

TEST(PreTokenizerInterpreter, WhitespaceRunsSplitAsTheJit) {
  // `\s*[\r\n]+` and `\s+(?!\S)` backtrack over a whitespace run before they fail or match:
  // work proportional to the run, within the limit for a megabyte.
  const std::string text = std::string(1 << 20, ' ') + "x" + std::string(1 << 19, '\t') + "y";
  for (const auto kind : kKinds) {
    const PreTokenizer interpreter(kind, RegexEngine::kInterpreter);
    EXPECT_EQ(split(interpreter, text), split(PreTokenizer(kind), text))
        << "kind " << static_cast<int>(kind);
  }
}

TEST(PreTokenizerInterpreter, OverTheWorkLimitIsAClearRefusal) {
  // 12 MiB of spaces before a letter: the backtracking over the run passes PCRE2's match limit
  // (10 M steps, which binds the JIT too), so the text is refused — kInvalidInput naming the
  // byte, a 400 for a request — where an unbounded matcher would keep going.
  const std::string text = std::string(12 << 20, ' ') + "x";
  for (const auto engine : {RegexEngine::kInterpreter, RegexEngine::kJitWhenAvailable}) {
    const PreTokenizer pre(PreTokenizerKind::kQwen2, engine);
    try {
      split(pre, text);
      FAIL() << "expected the match limit to refuse the text";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
      EXPECT_NE(std::string(e.what()).find("too complex to pre-tokenize at byte 0"),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace dsinfer::tokenizer
