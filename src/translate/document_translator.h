// The translation core shared by every translation API (dsinfer's /v1/translate, DeepL's
// /v2/translate, LibreTranslate's /translate): language detection, glossaries, plain text line
// by line, HTML/XML through placeholders with repair, over the Translator's segment fan-out and
// cache.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "translate/glossary.h"
#include "translate/markup.h"
#include "translate/text_lines.h"
#include "translate/translator.h"

namespace dsinfer::translate {

enum class TextFormat { kPlain, kHtml, kXml };

// How plain text is cut for the model (DeepL's split_sentences). Every mode keeps the lines: N
// lines in, N lines out. Markup units are translated whole (within the segment budget) in every
// mode: their inline tags may span sentences.
enum class SentenceSplit {
  kLines,       // each line on its own, cut at sentences past the budget (dsinfer, LibreTranslate)
  kSentences,   // DeepL "1": each line on its own, every sentence a segment
  kNone,        // DeepL "0": each text one segment, line breaks included
  kNoNewlines,  // DeepL "nonewlines": every sentence a segment; a line break does not end one
};

struct DocumentTask {
  std::string source_lang;  // any case; "" = detect
  std::string target_lang;  // any case (required)
  TextFormat format = TextFormat::kPlain;
  MarkupOptions markup;     // tag lists for kHtml/kXml (its kind follows `format`)
  std::string glossary_id;  // "" = none; must match the languages
  std::map<std::string, std::string> glossary;  // inline terms, added to the glossary's
  std::string context;
  Formality formality = Formality::kDefault;
  // DeepL's preserve_formatting: each segment keeps the source's edge punctuation and the case of
  // its first letter (translate/preserve_formatting.h).
  bool preserve_formatting = false;
  SentenceSplit split = SentenceSplit::kLines;
};

struct DocumentResult {
  std::string translation;
  std::string detected_source_lang;  // detected code (canonical when supported), "" otherwise
  double detected_confidence = 0;    // 0..1
  std::vector<GlossaryMiss> glossary_misses;
  int64_t billed_characters = 0;  // code points of the source text
  int64_t repaired_units = 0;     // markup units rebuilt from separately translated runs
  // kNone / kNoNewlines: segments spanning lines whose translation had another number of lines,
  // translated again line by line.
  int64_t relined_segments = 0;
};

// Called one at a time per job, on the engine thread or the caller's; they must only hand data
// off. After on_done or on_error nothing more is called.
struct DocumentCallbacks {
  // Optional, plain text only: the next piece of text `index` in order (concatenated: the text's
  // translation).
  std::function<void(size_t index, const std::string& piece)> on_piece;
  // Text `index` is complete; called in input order.
  std::function<void(size_t index, const DocumentResult& result)> on_text;
  std::function<void(const TranslationUsage& usage)> on_done;
  std::function<void(ErrorKind kind, const std::string& message)> on_error;
};

// A request field is wrong (the routes name it in their error shapes).
class InvalidField : public Error {
 public:
  InvalidField(std::string field, const std::string& message)
      : Error(ErrorKind::kInvalidInput, message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// The task as the model will see it, once languages, detection and the glossary are resolved.
struct ResolvedTask {
  TranslationTask task;
  std::vector<std::string> detected;         // per text: detected code or ""
  std::vector<double> detected_confidence;   // per text: 0..1
  std::map<std::string, std::string> terms;  // every glossary term (for the checks)
};

// Resolves `task` for `plain_texts` (the texts without markup): canonical codes, detection when
// the source is absent (the prompt names the source only when every text agrees), the
// glossary's pair checked against the languages and its terms narrowed to those present.
// Throws InvalidField (target_lang, source_lang, glossary_id).
ResolvedTask resolve_task(const DocumentTask& task, const std::vector<std::string>& plain_texts,
                          const GlossaryStore& glossaries);

class DocumentJob;

// Thread-safe; one per server.
class DocumentTranslator {
 public:
  DocumentTranslator(Translator& translator, std::shared_ptr<const GlossaryStore> glossaries);

  // Parses (lines, markup), detects languages and resolves the glossary; submits nothing.
  // Throws InvalidField or Error. Its cost grows with the input: call it off the I/O threads
  // for large documents.
  std::shared_ptr<DocumentJob> prepare(const DocumentTask& task, std::vector<std::string> texts,
                                       const TranslateOptions& options,
                                       DocumentCallbacks callbacks);
  // Submits a prepared job; throws engine::OverloadedError or Error (the engine refused) before
  // any callback; with every segment cached, the callbacks run before it returns. A markup unit
  // whose translation lost its placeholders is translated again run by run: a second round of
  // engine requests that joins the first round's admission (never refused for a full queue).
  void start(const std::shared_ptr<DocumentJob>& job);
  // prepare() then start().
  std::shared_ptr<DocumentJob> start(const DocumentTask& task, std::vector<std::string> texts,
                                     const TranslateOptions& options, DocumentCallbacks callbacks);

  // Stops the job (client gone): no further callbacks. Thread-safe.
  void cancel(const std::shared_ptr<DocumentJob>& job);

  const GlossaryStore& glossaries() const { return *glossaries_; }

 private:
  // First round done: fills the units whose placeholders survived, starts the second round
  // for the others.
  void on_markup_done(const std::shared_ptr<DocumentJob>& job, const TranslationUsage& usage);
  // First round of plain text done: finishes, or translates the blocks whose line count changed
  // again line by line.
  void on_plain_done(const std::shared_ptr<DocumentJob>& job, const TranslationUsage& usage);
  // A later round of the job's texts `runs` (it joins the job's admission); `fill` (called with
  // the job's lock held) puts the job->run_text results in place before the job finishes.
  void start_second_round(const std::shared_ptr<DocumentJob>& job, const TranslationTask& task,
                          std::vector<std::string> runs, std::function<void()> fill);

  Translator& translator_;
  std::shared_ptr<const GlossaryStore> glossaries_;
};

}  // namespace dsinfer::translate
