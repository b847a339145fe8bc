// Unit tests of reading tokenizer metadata (tokenizer.ggml.*) into a vocabulary.
#include "tokenizer/vocab.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "gguf/gguf_value.h"
#include "test_vocab.h"

namespace dsinfer::tokenizer {
namespace {

gguf::Metadata metadata(const std::string& model, const std::string& pre) {
  gguf::Metadata md("test.gguf");
  md.set("tokenizer.ggml.model", gguf::Value::from_string(model));
  md.set("tokenizer.ggml.pre", gguf::Value::from_string(pre));
  md.set("tokenizer.ggml.tokens", gguf::Value::from_strings({"a", "b", "ab", "<s>"}));
  md.set("tokenizer.ggml.token_type", gguf::Value::from_i32s({1, 1, 1, 3}));
  md.set("tokenizer.ggml.merges", gguf::Value::from_strings({"a b"}));
  md.set("tokenizer.ggml.bos_token_id", gguf::Value::from_u32(3));
  md.set("tokenizer.ggml.add_bos_token", gguf::Value::from_bool(true));
  return md;
}

TEST(Vocab, ReadsGgufTokenizerKeys) {
  const VocabSpec spec = read_vocab_spec(metadata("gpt2", "qwen2"), "test.gguf");
  EXPECT_EQ(spec.tokens.size(), 4u);
  EXPECT_EQ(spec.types[3], TokenType::kControl);
  EXPECT_EQ(spec.merges, std::vector<std::string>{"a b"});
  EXPECT_EQ(spec.bos_id, 3);
  EXPECT_EQ(spec.eos_id, -1);
  EXPECT_TRUE(spec.add_bos);
  EXPECT_EQ(spec.pre, "qwen2");
}

TEST(Vocab, OtherTokenizerModelsAreRejectedWithTheSupportedList) {
  try {
    read_vocab_spec(metadata("llama", "default"), "test.gguf");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("gpt2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.gguf"), std::string::npos) << e.what();
  }
}

TEST(Vocab, OutOfRangeSpecialIdIsABadFile) {
  VocabSpec spec = test::make_vocab({});
  spec.eos_id = 100000;
  EXPECT_THROW(Vocab v(spec), Error);
}

TEST(Vocab, EndOfGenerationIncludesKnownTurnTerminators) {
  VocabSpec spec = test::make_vocab({}, {{"<|EOT|>", TokenType::kControl},
                                         {"<|im_end|>", TokenType::kControl},
                                         {"</s>", TokenType::kControl}});
  spec.eos_id = 258;
  const Vocab v(spec);
  EXPECT_EQ(v.eog_ids(), (std::vector<int32_t>{256, 257, 258}));
}

}  // namespace
}  // namespace dsinfer::tokenizer
