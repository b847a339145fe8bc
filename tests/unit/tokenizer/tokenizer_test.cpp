// Unit tests of the tokenizer on in-memory vocabularies: BPE merge order, pre-tokenizer
// splitting, special tokens, round trips, thread safety and error messages.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "base/error.h"
#include "test_vocab.h"
#include "tokenizer/pre_tokenizer.h"

namespace dsinfer::tokenizer {
namespace {

using test::make_vocab;

int32_t byte_id(char c) { return static_cast<uint8_t>(c); }

TEST(Bpe, MergesByRankNotByPosition) {
  // "abc": rank 0 merges "b c" first even though "a b" is to its left.
  Tokenizer tok(make_vocab({{"b", "c"}, {"a", "b"}}));
  EXPECT_EQ(tok.encode("abc", false, false), (std::vector<int32_t>{byte_id('a'), 256}));
}

TEST(Bpe, LeftmostPairWinsOnTies) {
  Tokenizer tok(make_vocab({{"a", "a"}}));
  EXPECT_EQ(tok.encode("aaa", false, false), (std::vector<int32_t>{256, byte_id('a')}));
}

TEST(Bpe, ChainedMergesBuildLongTokens) {
  Tokenizer tok(make_vocab({{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}}));
  EXPECT_EQ(tok.encode("hello", false, false), (std::vector<int32_t>{259}));
  // A stale queued pair must not merge symbols that changed since it was queued.
  Tokenizer tok2(make_vocab({{"b", "c"}, {"a", "b"}, {"a", "bc"}}));
  EXPECT_EQ(tok2.encode("abc", false, false), (std::vector<int32_t>{258}));
}

TEST(PreTokenizer, Gpt2SplitsWordsAndSpaces) {
  PreTokenizer pre(PreTokenizerKind::kGpt2);
  std::vector<std::string_view> words;
  pre.split("Hello world's  42!", words);
  EXPECT_EQ(words, (std::vector<std::string_view>{"Hello", " world", "'s", " ", " 42", "!"}));
}

TEST(PreTokenizer, DeepseekLlmKeepsCjkRunsAndDigitRuns) {
  PreTokenizer pre(PreTokenizerKind::kDeepseekLlm);
  std::vector<std::string_view> words;
  pre.split("ab 今天 123\n", words);
  EXPECT_EQ(words, (std::vector<std::string_view>{"ab", " ", "今天", " ", "123", "\n"}));
}

TEST(PreTokenizer, UnknownNameListsSupported) {
  try {
    parse_pre_tokenizer("falcon");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("deepseek-v3"), std::string::npos) << e.what();
  }
  VocabSpec spec = make_vocab({});
  spec.pre = "falcon";
  EXPECT_THROW(Tokenizer tok(spec), Error);
}

TEST(PreTokenizer, InvalidUtf8IsKeptByteForByte) {
  for (auto kind : {PreTokenizerKind::kDeepseekLlm, PreTokenizerKind::kDeepseekCoder,
                    PreTokenizerKind::kDeepseekV3, PreTokenizerKind::kQwen2,
                    PreTokenizerKind::kLlama3, PreTokenizerKind::kGpt2}) {
    PreTokenizer pre(kind);
    const std::string text = "a\xff\xfe b\xe4\xbd c\x80";
    std::vector<std::string_view> words;
    pre.split(text, words);
    std::string joined;
    for (auto w : words) joined += w;
    EXPECT_EQ(joined, text);
  }
}

TEST(SpecialTokens, ParsedOnlyWhenAsked) {
  Tokenizer tok(make_vocab({}, {{"<|im_start|>", TokenType::kControl}}));
  const int32_t special = 256;
  EXPECT_EQ(tok.encode("a<|im_start|>b", false, true),
            (std::vector<int32_t>{byte_id('a'), special, byte_id('b')}));
  const auto plain = tok.encode("a<|im_start|>b", false, false);
  EXPECT_EQ(plain.size(), 14u);
  EXPECT_EQ(tok.decode(plain), "a<|im_start|>b");
}

TEST(SpecialTokens, UserDefinedAlwaysParsedAndLongestFirst) {
  Tokenizer tok(make_vocab({}, {{"ab", TokenType::kUserDefined}, {"xab", TokenType::kControl}}));
  EXPECT_EQ(tok.encode("zab", false, false), (std::vector<int32_t>{byte_id('z'), 256}));
  EXPECT_EQ(tok.encode("xabab", false, true), (std::vector<int32_t>{257, 256}));
}

TEST(Tokenizer, BosAndEndOfGeneration) {
  VocabSpec spec = make_vocab({}, {{"<s>", TokenType::kControl},
                                   {"</s>", TokenType::kControl},
                                   {"<|im_end|>", TokenType::kControl}});
  spec.bos_id = 256;
  spec.eos_id = 257;
  spec.add_bos = true;
  Tokenizer tok(spec);
  EXPECT_EQ(tok.encode("a", true, true), (std::vector<int32_t>{256, byte_id('a')}));
  EXPECT_TRUE(tok.add_bos_default());
  EXPECT_TRUE(tok.is_end_of_generation(257));
  EXPECT_TRUE(tok.is_end_of_generation(258));
  EXPECT_FALSE(tok.is_end_of_generation(256));
  EXPECT_THROW(tok.token_piece(9999), Error);
}

TEST(Tokenizer, RandomBytesRoundTrip) {
  Tokenizer tok(make_vocab({{" ", "t"}, {"h", "e"}, {"\xe4", "\xbd"}}, {}, "deepseek-v3"));
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string s(static_cast<size_t>(rng() % 64), '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    EXPECT_EQ(tok.decode(tok.encode(s, false, true)), s);
  }
}

TEST(Tokenizer, ConcurrentEncodeMatchesSerial) {
  Tokenizer tok(make_vocab({{"t", "h"}, {"th", "e"}, {" ", "the"}}, {}, "qwen2"));
  std::vector<std::string> texts;
  for (int i = 0; i < 64; ++i) texts.push_back("the cat " + std::to_string(i) + " the dog 今天");
  std::vector<std::vector<int32_t>> expected;
  for (const auto& t : texts) expected.push_back(tok.encode(t, false, true));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 50; ++rep) {
        for (size_t i = 0; i < texts.size(); ++i) {
          if (tok.encode(texts[i], false, true) != expected[i])
            ++mismatches[static_cast<size_t>(t)];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace dsinfer::tokenizer
