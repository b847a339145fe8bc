// The shared translation core over a real engine on a tiny fixture model (random weights: the
// structure is checked, not the meaning): N lines in, N lines out; the markup skeleton kept
// whatever the model says; detection and glossary checks reported; cancellation.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "engine/engine_loader.h"
#include "support/fixtures.h"
#include "tokenizer/chat_template.h"
#include "translate/document_translator.h"

namespace dsinfer::translate {
namespace {

struct Collected {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<size_t, DocumentResult>> texts;
  std::string pieces;
  std::optional<TranslationUsage> usage;
  std::string error;
  bool finished = false;

  DocumentCallbacks callbacks(bool with_pieces = false) {
    DocumentCallbacks cb;
    if (with_pieces) {
      cb.on_piece = [this](size_t, const std::string& p) {
        std::lock_guard l(mu);
        pieces += p;
      };
    }
    cb.on_text = [this](size_t i, const DocumentResult& r) {
      std::lock_guard l(mu);
      texts.emplace_back(i, r);
    };
    cb.on_done = [this](const TranslationUsage& u) {
      std::lock_guard l(mu);
      usage = u;
      finished = true;
      cv.notify_all();
    };
    cb.on_error = [this](ErrorKind, const std::string& m) {
      std::lock_guard l(mu);
      error = m;
      finished = true;
      cv.notify_all();
    };
    return cb;
  }
  void wait() {
    std::unique_lock l(mu);
    cv.wait(l, [this] { return finished; });
  }
};

size_t count(const std::string& s, char c) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), c));
}

class DocumentTranslatorTest : public ::testing::Test {
 protected:
  void load(std::shared_ptr<GlossaryStore> glossaries = nullptr) {
    engine::EngineConfig config;
    config.kv_cache_mem = "64MiB";
    loaded_ =
        engine::load_engine(fixtures_ + "/golden/models/tiny-qwen2-tied-Q8_0.gguf", config, 2);
    template_ = std::make_shared<tokenizer::ChatTemplate>(
        tokenizer::ChatTemplate::from_gguf(*loaded_->file, *loaded_->tokenizer));
    translator_ = std::make_unique<Translator>(*loaded_->engine, loaded_->tokenizer, template_,
                                               cache_, "tiny", TranslatorConfig{16, true});
    documents_ = std::make_unique<DocumentTranslator>(*translator_, std::move(glossaries));
  }
  TranslateOptions short_answers() {
    TranslateOptions o;
    o.max_tokens = 12;
    return o;
  }
  std::string fixtures_;
  std::unique_ptr<engine::LoadedEngine> loaded_;
  std::shared_ptr<tokenizer::ChatTemplate> template_;
  TranslationCache cache_{1000};
  std::unique_ptr<Translator> translator_;
  std::unique_ptr<DocumentTranslator> documents_;
};

TEST_F(DocumentTranslatorTest, PlainTextKeepsItsLinesAndStreamsThemInOrder) {
  DSINFER_REQUIRE_FIXTURES(dir);
  fixtures_ = dir;
  load();
  const std::string doc =
      "  First line of the text.\nSecond line, with more words.\r\n\n---\n2024\nLast line "
      "without a newline";
  DocumentTask task;
  task.source_lang = "EN";
  task.target_lang = "de";
  Collected c;
  documents_->start(task, {doc}, short_answers(), c.callbacks(true));
  c.wait();
  ASSERT_TRUE(c.error.empty()) << c.error;
  ASSERT_EQ(c.texts.size(), 1u);
  const std::string& out = c.texts[0].second.translation;
  EXPECT_EQ(count(out, '\n'), count(doc, '\n'));
  EXPECT_EQ(count(out, '\r'), 1u);
  std::vector<std::string> out_lines(1);
  for (char ch : out) {
    if (ch == '\n') {
      out_lines.emplace_back();
    } else {
      out_lines.back() += ch;
    }
  }
  ASSERT_EQ(out_lines.size(), 6u);
  EXPECT_EQ(out_lines[0].rfind("  ", 0), 0u);  // indentation kept
  EXPECT_EQ(out_lines[1].back(), '\r');        // CRLF kept
  EXPECT_EQ(out_lines[2], "");                 // blank line kept
  EXPECT_EQ(out_lines[3], "---");              // no words: not sent to the model
  EXPECT_EQ(out_lines[4], "2024");
  EXPECT_EQ(c.pieces, out);  // the streamed pieces are the translation
  EXPECT_EQ(c.texts[0].second.billed_characters, static_cast<int64_t>(doc.size()));
  EXPECT_EQ(c.usage->segments, 3);
}

TEST_F(DocumentTranslatorTest, HtmlSkeletonSurvivesRandomWeights) {
  DSINFER_REQUIRE_FIXTURES(dir);
  fixtures_ = dir;
  load();
  const std::vector<std::string> docs = {
      "<div class=\"note\"><p>Hello <b>bold</b> and <a href=\"/x?a=1&amp;b=2\">a link</a>.</p>"
      "<!-- keep --><p>Second &copy; paragraph<br/>with a break.</p><script>var a = '<p>';"
      "</script></div>",
      "<p>Only text here.</p>",
  };
  DocumentTask task;
  task.source_lang = "en";
  task.target_lang = "fr";
  task.format = TextFormat::kHtml;
  Collected c;
  documents_->start(task, docs, short_answers(), c.callbacks());
  c.wait();
  ASSERT_TRUE(c.error.empty()) << c.error;
  ASSERT_EQ(c.texts.size(), 2u);
  MarkupOptions html;
  for (size_t i = 0; i < docs.size(); ++i) {
    EXPECT_EQ(MarkupDocument::skeleton(c.texts[i].second.translation, html),
              MarkupDocument::skeleton(docs[i], html))
        << c.texts[i].second.translation;
  }
  EXPECT_NE(c.texts[0].second.translation.find("<script>var a = '<p>';</script>"),
            std::string::npos);
  // Random weights do not keep placeholders: the units with tags were rebuilt from their runs.
  EXPECT_GE(c.texts[0].second.repaired_units, 1);
}

TEST_F(DocumentTranslatorTest, DetectionGlossaryAndErrors) {
  DSINFER_REQUIRE_FIXTURES(dir);
  fixtures_ = dir;
  auto store = std::make_shared<GlossaryStore>();
  Glossary g;
  g.id = "acme.en-de";
  g.name = "acme";
  g.source_lang = "en";
  g.target_lang = "de";
  g.entries = {{"widget", "Bauteil"}, {"gizmo", "Dings"}};
  store->add(g);
  load(store);
  DocumentTask task;
  task.target_lang = "de";
  task.glossary_id = "acme.en-de";
  Collected c;
  documents_->start(task, {"The widget is the most important part of the machine we build."},
                    short_answers(), c.callbacks());
  c.wait();
  ASSERT_TRUE(c.error.empty()) << c.error;
  const auto& r = c.texts[0].second;
  EXPECT_EQ(r.detected_source_lang, "en");
  // The term is in the source; the random model will not write it: reported as a miss.
  if (r.translation.find("Bauteil") == std::string::npos) {
    ASSERT_EQ(r.glossary_misses.size(), 1u);
    EXPECT_EQ(r.glossary_misses[0].source, "widget");
  }
  auto field_of = [&](DocumentTask t) {
    DocumentCallbacks none;
    none.on_text = [](size_t, const DocumentResult&) {};
    none.on_done = [](const TranslationUsage&) {};
    none.on_error = [](ErrorKind, const std::string&) {};
    try {
      documents_->start(t, {"Ein Satz auf Deutsch, damit die Erkennung etwas zu tun hat."},
                        short_answers(), none);
    } catch (const InvalidField& e) {
      return e.field();
    }
    return std::string("none");
  };
  DocumentTask wrong_pair = task;  // detected German, glossary is en -> de
  EXPECT_EQ(field_of(wrong_pair), "glossary_id");
  DocumentTask unknown = task;
  unknown.glossary_id = "nope";
  EXPECT_EQ(field_of(unknown), "glossary_id");
  DocumentTask bad_target;
  bad_target.target_lang = "xx";
  EXPECT_EQ(field_of(bad_target), "target_lang");
}

TEST_F(DocumentTranslatorTest, CancelStopsEverything) {
  DSINFER_REQUIRE_FIXTURES(dir);
  fixtures_ = dir;
  load();
  DocumentTask task;
  task.source_lang = "en";
  task.target_lang = "zh";
  task.format = TextFormat::kHtml;
  TranslateOptions opts;
  opts.max_tokens = 200;
  Collected c;
  auto job = documents_->start(task, {"<p>One <b>two</b> three.</p><p>Four <i>five</i>.</p>"}, opts,
                               c.callbacks());
  documents_->cancel(job);
  for (int i = 0; i < 200 && loaded_->engine->stats().kv_blocks_used > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(loaded_->engine->stats().kv_blocks_used, 0);
  EXPECT_FALSE(c.finished);
}

}  // namespace
}  // namespace dsinfer::translate
