// DeepL's preserve_formatting as a post-processing step: the source's edge punctuation and first
// letter case carried onto the model's translation, across scripts.
#include "translate/preserve_formatting.h"

#include <gtest/gtest.h>

namespace dsinfer::translate {
namespace {

TEST(PreserveFormatting, NoFinalStopAndLowercaseStartAreKept) {
  EXPECT_EQ(preserve_formatting("hello world", "Hallo Welt."), "hallo Welt");
  EXPECT_EQ(preserve_formatting("hello world", "Hallo Welt!"), "hallo Welt");
  EXPECT_EQ(preserve_formatting("see the manual", "Siehe das Handbuch..."), "siehe das Handbuch");
  EXPECT_EQ(preserve_formatting("привет, мир", "Hello, world."), "hello, world");
}

TEST(PreserveFormatting, AFinalStopAndCapitalStartAreRestored) {
  EXPECT_EQ(preserve_formatting("Hello world.", "hallo Welt"), "Hallo Welt.");
  EXPECT_EQ(preserve_formatting("Are you there?", "bist du da"), "Bist du da?");
  EXPECT_EQ(preserve_formatting("Wait...", "Warte"), "Warte...");
  // The model's own marks stay when both have some: "?" for "." is the model's choice.
  EXPECT_EQ(preserve_formatting("Is it.", "Ist es?"), "Ist es?");
}

TEST(PreserveFormatting, FullWidthMarksAfterHanAndKanaAsciiAfterLatin) {
  EXPECT_EQ(preserve_formatting("Hello.", "你好"), "你好。");
  EXPECT_EQ(preserve_formatting("Really?", "本当"), "本当？");
  EXPECT_EQ(preserve_formatting("你好。", "hello"), "hello.") << "no case in the source";
  EXPECT_EQ(preserve_formatting("本当？", "really"), "really?") << "no case in the source";
  // Hangul uses ASCII marks; a Chinese answer's own "。" stays when the source had a stop.
  EXPECT_EQ(preserve_formatting("Thank you.", "감사합니다"), "감사합니다.");
  EXPECT_EQ(preserve_formatting("Good morning.", "早上好。"), "早上好。");
  // Removed in any script when the source has none.
  EXPECT_EQ(preserve_formatting("hello", "你好。"), "你好");
  EXPECT_EQ(preserve_formatting("你好", "Hello."), "Hello") << "Han has no case: 'H' stays";
}

TEST(PreserveFormatting, ScriptsWithoutCaseAreLeftAsTheyAre) {
  EXPECT_EQ(preserve_formatting("hello", "مرحبا"), "مرحبا");
  EXPECT_EQ(preserve_formatting("مرحبا", "Hello"), "Hello");
  EXPECT_EQ(preserve_formatting("3 apples", "Drei Äpfel"), "Drei Äpfel") << "a digit has no case";
  EXPECT_EQ(preserve_formatting("apple", "Äpfel"), "äpfel");
  EXPECT_EQ(preserve_formatting("Éclair", "éclair"), "Éclair");
}

TEST(PreserveFormatting, FinalMarksInsideClosingQuotesAndBrackets) {
  EXPECT_EQ(preserve_formatting("He said \"yes.\"", "Er sagte „ja“"), "Er sagte „ja“.");
  EXPECT_EQ(preserve_formatting("he said (yes)", "Er sagte (ja)."), "er sagte (ja)");
  EXPECT_EQ(preserve_formatting("(see below)", "(siehe unten.)"), "(siehe unten)");
  EXPECT_EQ(preserve_formatting("He said \"yes.\"", "他说「是」"), "他说「是」。");
}

TEST(PreserveFormatting, LeadingListAndEllipsisMarks) {
  EXPECT_EQ(preserve_formatting("- item one", "Punkt eins"), "- punkt eins");
  EXPECT_EQ(preserve_formatting("…and then", "Und dann"), "…und dann");
  EXPECT_EQ(preserve_formatting("Item one", "- Punkt eins"), "Punkt eins");
  EXPECT_EQ(preserve_formatting("• First", "• erster"), "• Erster");
  // Language-specific openers are the target's business: ¿ stays, the case follows the source.
  EXPECT_EQ(preserve_formatting("what is it?", "¿Qué es?"), "¿qué es?");
  EXPECT_EQ(preserve_formatting("¿Qué es?", "what is it?"), "What is it?");
}

TEST(PreserveFormatting, WhitespaceAndPlaceholdersAtTheEdgesAreLookedThrough) {
  EXPECT_EQ(preserve_formatting("  hello world ", " Hallo Welt. \n"), " hallo Welt \n");
  EXPECT_EQ(preserve_formatting("<g1>hello</g1> world", "<g1>Hallo</g1> Welt."),
            "<g1>hallo</g1> Welt");
  // Added after the last text, inside the placeholders that close there.
  EXPECT_EQ(preserve_formatting("Hello <g1>world</g1>.<x2/>", "hallo <g1>Welt</g1><x2/>"),
            "Hallo <g1>Welt.</g1><x2/>");
}

TEST(PreserveFormatting, NothingToCarryLeavesTheTranslationAlone) {
  EXPECT_EQ(preserve_formatting("hello", ""), "");
  EXPECT_EQ(preserve_formatting("hello", "  \n"), "  \n");
  EXPECT_EQ(preserve_formatting("---", "Hallo."), "Hallo.") << "no words in the source";
  EXPECT_EQ(preserve_formatting("hello", "..."), "...") << "not emptied";
  EXPECT_EQ(preserve_formatting("Hello", "Hallo"), "Hallo");
}

}  // namespace
}  // namespace dsinfer::translate
