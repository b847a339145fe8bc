// Lines of plain text and a translation put back on the source's lines.
#include "translate/text_lines.h"

#include <gtest/gtest.h>

namespace dsinfer::translate {
namespace {

TEST(TextLines, SplitKeepsEachTerminator) {
  const auto lines = split_lines("a\r\nb\n\nc");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].terminator, "\r\n");
  EXPECT_EQ(lines[2].text, "");
  EXPECT_EQ(lines[3].terminator, "");
}

TEST(TextLines, RelineUsesTheSourcesTerminatorsWhenTheLineCountsMatch) {
  EXPECT_EQ(reline("one\r\ntwo", "eins\ntwo"), "eins\r\ntwo");
  EXPECT_EQ(reline("one\n\ntwo", "eins\r\n\r\nzwei"), "eins\n\nzwei") << "the model's CR dropped";
  EXPECT_EQ(reline("one\ntwo", "eins zwei"), std::nullopt);
  EXPECT_EQ(reline("one\ntwo", "eins\nzwei\ndrei"), std::nullopt);
  EXPECT_EQ(reline("one\ntwo", ""), std::nullopt);
  EXPECT_EQ(reline("one line", "eine\nZeile"), "eine Zeile") << "one line stays one line";
}

}  // namespace
}  // namespace dsinfer::translate
