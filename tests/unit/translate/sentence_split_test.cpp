// DeepL's split_sentences through the document core: what becomes a segment in each mode, and
// the line structure of the answer (N lines in, N lines out) when the model keeps or loses the
// line breaks of a segment that spans lines. The model's answers are put in the translation
// cache first, so each case is exact; one case runs the toy model with line breaks forbidden.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <string>

#include "toy_translator_rig.h"
#include "translate/document_translator.h"

namespace dsinfer::translate {
namespace {

using namespace test;

struct Answer {
  std::mutex mu;
  DocumentResult result;
  TranslationUsage usage;
  std::string error;
  bool finished = false;
};

// Translates `text` en -> de with `split`; the model's answers come from `cached`.
class SentenceSplitTest : public ::testing::Test {
 protected:
  Rig rig_{8, 4};
  DocumentTranslator documents_{*rig_.translator, nullptr};

  void cache(const std::string& segment, const std::string& answer) {
    rig_.cache.put(TranslationCache::key("toy", TranslationTask("en", "de"), segment), answer);
  }
  std::shared_ptr<Answer> translate(const std::string& text, SentenceSplit split) {
    auto a = std::make_shared<Answer>();
    DocumentTask task;
    task.source_lang = std::string("en");
    task.target_lang = std::string("de");
    task.split = split;
    DocumentCallbacks cb;
    cb.on_text = [a](size_t, const DocumentResult& r) {
      std::lock_guard lock(a->mu);
      a->result = r;
    };
    cb.on_done = [a](const TranslationUsage& u) {
      std::lock_guard lock(a->mu);
      a->usage = u;
      a->finished = true;
    };
    cb.on_error = [a](ErrorKind, const std::string& m) {
      std::lock_guard lock(a->mu);
      a->error = m;
      a->finished = true;
    };
    documents_.start(task, {text}, TranslateOptions{}, std::move(cb));
    EXPECT_TRUE(wait_until([&] {
      std::lock_guard lock(a->mu);
      return a->finished;
    }));
    std::lock_guard lock(a->mu);
    EXPECT_EQ(a->error, "");
    return a;
  }
};

TEST_F(SentenceSplitTest, NoneSendsTheWholeTextAndKeepsTheLinesTheModelKept) {
  cache("Line one.\r\nLine two.", "Zeile eins.\nZeile zwei.");
  const auto a = translate("  Line one.\r\nLine two.\n", SentenceSplit::kNone);
  EXPECT_EQ(a->result.translation, "  Zeile eins.\r\nZeile zwei.\n");
  EXPECT_EQ(a->usage.segments, 1);
  EXPECT_EQ(a->result.relined_segments, 0);
  EXPECT_EQ(rig_.model.forward_calls.load(), 0);
}

TEST_F(SentenceSplitTest, NoneFallsBackToLineByLineWhenTheModelJoinedTheLines) {
  cache("Line one.\n\nLine two.", "Zeile eins. Zeile zwei.");
  cache("Line one.", "Eins.");
  cache("Line two.", "Zwei.");
  const auto a = translate("Line one.\n\nLine two.", SentenceSplit::kNone);
  EXPECT_EQ(a->result.translation, "Eins.\n\nZwei.");
  EXPECT_EQ(a->result.relined_segments, 1);
  EXPECT_EQ(a->usage.segments, 3) << "the block, then its two lines";
}

TEST_F(SentenceSplitTest, NoNewlinesKeepsASentenceAcrossALineBreakAsOneSegment) {
  cache("It spans\na line break.", "Er geht\nüber zwei Zeilen.");
  cache("Second one.", "Zweiter.");
  cache("Third.", "Dritter.");
  const auto a =
      translate("It spans\na line break. Second one.\nThird.", SentenceSplit::kNoNewlines);
  EXPECT_EQ(a->result.translation, "Er geht\nüber zwei Zeilen. Zweiter.\nDritter.");
  EXPECT_EQ(a->usage.segments, 3);
  EXPECT_EQ(a->result.relined_segments, 0);
}

TEST_F(SentenceSplitTest, SentencesSplitsEveryLineAtEverySentence) {
  cache("One.", "Eins.");
  cache("Two!", "Zwei!");
  cache("Three.", "Drei.");
  const auto a = translate("One. Two!\nThree.", SentenceSplit::kSentences);
  EXPECT_EQ(a->result.translation, "Eins. Zwei!\nDrei.");
  EXPECT_EQ(a->usage.segments, 3);
  cache("One. Two!", "Eins, zwei!");
  const auto lines = translate("One. Two!\nThree.", SentenceSplit::kLines);
  EXPECT_EQ(lines->result.translation, "Eins, zwei!\nDrei.") << "a short line is one segment";
  EXPECT_EQ(lines->usage.segments, 2);
}

TEST_F(SentenceSplitTest, TheModelsLostLineBreaksAreRepairedLineByLine) {
  // The toy model may never write a line break: every segment spanning lines is translated
  // again line by line, in a round that joins the document's admission.
  rig_.model.on_logits = [](model::Logits& l) {
    const auto n = static_cast<size_t>(l.n_vocab);
    for (size_t row = 0; row * n < l.data.size(); ++row) {
      l.data[row * n + '\n'] = -std::numeric_limits<float>::infinity();
      l.data[row * n + '\r'] = -std::numeric_limits<float>::infinity();
    }
  };
  const std::string text = "First line here\nsecond line there.\n\nThird line, alone.";
  const auto none = translate(text, SentenceSplit::kNone);
  EXPECT_EQ(none->result.relined_segments, 1);
  const auto nonewlines = translate(text, SentenceSplit::kNoNewlines);
  EXPECT_EQ(nonewlines->result.relined_segments, 1) << "only the sentence that spans lines";
  for (const auto& a : {none, nonewlines}) {
    const std::string& out = a->result.translation;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
    EXPECT_NE(out.find("\n\n"), std::string::npos) << "the blank line is kept: " << out;
  }
}

}  // namespace
}  // namespace dsinfer::translate
