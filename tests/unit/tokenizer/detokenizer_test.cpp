// Unit tests of UTF-8 handling and the streaming detokenizer.
#include <gtest/gtest.h>

#include "test_vocab.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer {
namespace {

std::string lossy(std::string_view s) {
  std::string out;
  utf8_decode_lossy(s, true, out);
  return out;
}

TEST(Utf8, LossyDecodingUsesMaximalSubparts) {
  const std::string r(kReplacementChar);
  EXPECT_EQ(lossy("a\x80"
                  "b"),
            "a" + r + "b");
  EXPECT_EQ(lossy("\xe4\xbd"), r);  // truncated 3-byte sequence: one U+FFFD
  EXPECT_EQ(lossy("\xe4\xbd"
                  "a"),
            r + "a");                                   // interrupted sequence
  EXPECT_EQ(lossy("\xed\xa0\x80"), r + r + r);          // surrogate: lead then two lone bytes
  EXPECT_EQ(lossy("\xc0\xaf"), r + r);                  // overlong
  EXPECT_EQ(lossy("\xf4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(lossy("今天"), "今天");
  EXPECT_TRUE(utf8_is_valid("今天 ok"));
  EXPECT_FALSE(utf8_is_valid("\xe4\xbd"));
}

TEST(Utf8, IncompleteTailIsHeldWhenNotFinal) {
  std::string out;
  EXPECT_EQ(utf8_decode_lossy("a\xe4\xbd", false, out), 1u);
  EXPECT_EQ(out, "a");
}

TEST(IncrementalDetokenizer, NeverSplitsACharacter) {
  Tokenizer tok(test::make_vocab({}));
  IncrementalDetokenizer stream(tok);
  const std::string text = "今";  // three byte tokens
  EXPECT_EQ(stream.push(static_cast<uint8_t>(text[0])), "");
  EXPECT_EQ(stream.push(static_cast<uint8_t>(text[1])), "");
  EXPECT_EQ(stream.pending_bytes(), 2u);
  EXPECT_EQ(stream.push(static_cast<uint8_t>(text[2])), "今");
  EXPECT_EQ(stream.flush(), "");
}

TEST(IncrementalDetokenizer, InvalidBytesBecomeReplacementCharacters) {
  Tokenizer tok(test::make_vocab({}));
  IncrementalDetokenizer stream(tok);
  EXPECT_EQ(stream.push(0xE4), "");
  EXPECT_EQ(stream.push('a'), std::string(kReplacementChar) + "a");
  EXPECT_EQ(stream.push(0xFF), std::string(kReplacementChar));
  EXPECT_EQ(stream.push(0xE4), "");
  EXPECT_EQ(stream.flush(), std::string(kReplacementChar));
}

}  // namespace
}  // namespace dsinfer::tokenizer
