// Segmentation: separators restored byte for byte; sentences split by the budget, CJK included.
#include <gtest/gtest.h>

#include "base/error.h"
#include "translate/segmenter.h"

namespace dsinfer::translate {
namespace {

// One "token" per UTF-8 code point that is not whitespace: enough to exercise the budget.
int64_t count_chars(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += ((c & 0xC0) != 0x80 && c != ' ' && c != '\n') ? 1 : 0;
  return n;
}

std::vector<std::string> texts(const SegmentedText& st) {
  std::vector<std::string> out;
  for (const auto& s : st.segments) out.push_back(s.text);
  return out;
}

TEST(Segmenter, IdentityReassemblyIsByteExact) {
  const std::string docs[] = {
      "",
      "   ",
      "One sentence.",
      "  Lead.\n\nSecond paragraph.  Two sentences!\n \n\n Third. \n",
      "今天天气很好。我们早上九点在车站见面！你来吗？\r\n\r\n第二段。",
      "日本語の文です。もう一つの文。\n\nEnglish after.",
  };
  for (const auto& doc : docs) {
    for (int64_t budget : {1, 5, 1000}) {
      const auto st = segment_text(doc, budget, count_chars);
      EXPECT_EQ(st.reassemble(texts(st)), doc) << "budget " << budget << " doc: " << doc;
      for (const auto& s : st.segments) EXPECT_FALSE(s.text.empty());
    }
  }
}

TEST(Segmenter, ParagraphsFirst) {
  const auto st = segment_text("First para. Still first.\n\nSecond para.", 1000, count_chars);
  ASSERT_EQ(st.segments.size(), 2u);
  EXPECT_EQ(st.segments[0].text, "First para. Still first.");
  EXPECT_EQ(st.segments[0].separator, "\n\n");
  EXPECT_EQ(st.segments[1].text, "Second para.");
}

TEST(Segmenter, ChineseSentencesSplitUnderBudget) {
  const auto st = segment_text("今天天气很好。我们早上九点在车站见面！你来吗？", 8, count_chars);
  ASSERT_EQ(st.segments.size(), 3u);
  EXPECT_EQ(st.segments[0].text, "今天天气很好。");
  EXPECT_EQ(st.segments[1].text, "我们早上九点在车站见面！");
  EXPECT_EQ(st.segments[2].text, "你来吗？");
}

TEST(Segmenter, PacksSentencesUpToBudget) {
  const auto st = segment_text("Aa. Bb. Cc. Dd.", 6, count_chars);
  ASSERT_EQ(st.segments.size(), 2u);
  EXPECT_EQ(st.segments[0].text, "Aa. Bb.");
  EXPECT_EQ(st.segments[0].separator, " ");
  EXPECT_EQ(st.segments[1].text, "Cc. Dd.");
}

TEST(Segmenter, RejectsInvalidUtf8) {
  EXPECT_THROW(segment_text("ok \xff\xfe bad", 100, count_chars), Error);
}

TEST(Segmenter, EverySentenceWithOrWithoutLineBreaksAndTheWholeText) {
  const std::string doc = "  It spans\na line. Second one!\r\nThird.\n";
  const auto by_line = segment_sentences(doc, false);
  EXPECT_EQ(texts(by_line),
            (std::vector<std::string>{"It spans", "a line.", "Second one!", "Third."}));
  const auto across = segment_sentences(doc, true);
  EXPECT_EQ(texts(across),
            (std::vector<std::string>{"It spans\na line.", "Second one!", "Third."}));
  EXPECT_EQ(across.segments[1].separator, "\r\n");
  const auto whole = segment_whole(doc);
  EXPECT_EQ(texts(whole), (std::vector<std::string>{"It spans\na line. Second one!\r\nThird."}));
  for (const auto* st : {&by_line, &across, &whole}) {
    EXPECT_EQ(st->reassemble(texts(*st)), doc);
  }
  EXPECT_TRUE(segment_whole(" \n ").segments.empty());
  EXPECT_THROW(segment_sentences("bad \xff", true), Error);
}

}  // namespace
}  // namespace dsinfer::translate
