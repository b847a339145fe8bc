// A document is admitted whole: the later rounds of a DocumentTranslator job (markup repair, the
// line-wise fallback) join the admission of its first round, so a document that started is never
// failed halfway with 429 because other clients filled the engine's queue meanwhile.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>

#include "toy_translator_rig.h"
#include "translate/document_translator.h"

namespace dsinfer::translate {
namespace {

using namespace test;

struct DocumentOutcome {
  std::mutex mu;
  std::vector<DocumentResult> results;
  std::string error;
  bool finished = false;

  DocumentCallbacks callbacks() {
    DocumentCallbacks cb;
    cb.on_text = [this](size_t, const DocumentResult& r) {
      std::lock_guard lock(mu);
      results.push_back(r);
    };
    cb.on_done = [this](const TranslationUsage&) {
      std::lock_guard lock(mu);
      finished = true;
    };
    cb.on_error = [this](ErrorKind, const std::string& message) {
      std::lock_guard lock(mu);
      error = message;
      finished = true;
    };
    return cb;
  }
  bool done() {
    std::lock_guard lock(mu);
    return finished;
  }
};

TEST(DocumentAdmission, TheMarkupRepairRoundJoinsTheAdmittedJobUnderAFullQueue) {
  // One request runs, one may wait (--max-running 1 --max-waiting 1). While the document's first
  // round runs, other clients' requests fill the queue. The toy model never writes the
  // placeholders back, so the document needs a second round (its inline runs one by one): that
  // round joins the document's admission instead of being refused with 429 halfway.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool entered = false;
  bool released = false;
  Rig rig(/*max_waiting=*/1, /*running_slots=*/4, /*max_segments=*/64, /*max_running=*/1);
  rig.model.on_forward = [&](const model::Batch&) {
    std::unique_lock lock(gate_mu);
    entered = true;
    gate_cv.notify_all();
    gate_cv.wait_for(lock, 20s, [&] { return released; });  // bounded: a failed ASSERT cannot hang
  };
  DocumentTranslator documents(*rig.translator, nullptr);
  DocumentTask task;
  task.source_lang = std::string("en");
  task.target_lang = std::string("de");
  task.format = TextFormat::kHtml;
  const std::string html = "<p>Hello <b>bold</b> world and <i>more</i> text.</p>";
  DocumentOutcome doc;
  documents.start(task, {html}, short_answers(3), doc.callbacks());
  {
    std::unique_lock lock(gate_mu);
    ASSERT_TRUE(gate_cv.wait_for(lock, 20s, [&] { return entered; }));
  }
  // The first round is in the engine; two other clients queue behind it (the second one past
  // the limit, as internal work may), so the queue is still full when the first round ends.
  std::atomic<int> others_done{0};
  for (bool joins : {false, true}) {
    engine::Request other;
    other.prompt_tokens = {'a', 'b', 'c'};
    other.max_tokens = 2;
    other.joins_admitted_work = joins;
    rig.engine->submit(std::move(other), [&](engine::Event&& ev) {
      if (ev.type == engine::EventType::kFinished || ev.type == engine::EventType::kError)
        ++others_done;
    });
  }
  {
    std::lock_guard lock(gate_mu);
    released = true;
  }
  gate_cv.notify_all();
  ASSERT_TRUE(wait_until([&] { return doc.done() && others_done.load() == 2; }));
  std::lock_guard lock(doc.mu);
  ASSERT_EQ(doc.error, "") << "the repair round was refused after the first round ran";
  ASSERT_EQ(doc.results.size(), 1u);
  EXPECT_EQ(doc.results[0].repaired_units, 1) << "the toy model kept the placeholders?";
  const std::string& out = doc.results[0].translation;
  EXPECT_EQ(out.rfind("<p>", 0), 0u) << out;
  for (const char* tag : {"<b>", "</b>", "<i>", "</i>", "</p>"}) {
    EXPECT_NE(out.find(tag), std::string::npos) << tag << " lost: " << out;
  }
}

}  // namespace
}  // namespace dsinfer::translate
