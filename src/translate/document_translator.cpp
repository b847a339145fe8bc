// Documents over the Translator: plain text line by line (released in order as pieces), markup
// through placeholders with a second round for units whose placeholders did not survive.
#include "translate/document_translator.h"

#include <mutex>
#include <optional>
#include <utility>

#include "translate/language_detect.h"

namespace dsinfer::translate {
namespace {

int64_t code_points(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// What plain text is cut into before the Translator: lines, or (kNone / kNoNewlines) segments
// that may span lines, with the whitespace around them as verbatim pieces.
std::vector<TextLine> plain_pieces(const std::string& text, SentenceSplit split) {
  if (split != SentenceSplit::kNone && split != SentenceSplit::kNoNewlines)
    return split_lines(text);
  const SegmentedText st =
      split == SentenceSplit::kNone ? segment_whole(text) : segment_sentences(text, true);
  std::vector<TextLine> out;
  if (!st.leading.empty()) out.push_back({"", st.leading});
  for (const auto& seg : st.segments) out.push_back({seg.text, seg.separator});
  return out;
}

std::string canonical_or_throw(const std::string& field, const std::string& code) {
  try {
    return canonical_language(code);
  } catch (const Error& e) {
    throw InvalidField(field, e.what());
  }
}

}  // namespace

ResolvedTask resolve_task(const DocumentTask& task, const std::vector<std::string>& plain_texts,
                          const GlossaryStore& glossaries) {
  ResolvedTask r;
  if (task.target_lang.empty()) throw InvalidField("target_lang", "target_lang is required");
  r.task.target_lang = canonical_or_throw("target_lang", task.target_lang);
  r.task.context = task.context;
  r.task.formality = task.formality;
  r.task.placeholders = task.format != TextFormat::kPlain;
  r.detected.resize(plain_texts.size());
  r.detected_confidence.resize(plain_texts.size());
  if (!task.source_lang.empty()) {
    r.task.source_lang = canonical_or_throw("source_lang", task.source_lang);
  } else {
    // The prompt names the source language only when every text is detected as the same one.
    std::optional<std::string> common;
    bool agree = true;
    for (size_t i = 0; i < plain_texts.size(); ++i) {
      const auto found = detect_languages(plain_texts[i]);
      const std::string code = found.empty() ? "" : found.front().code;
      r.detected_confidence[i] = found.empty() ? 0.0 : found.front().confidence;
      std::string canonical;
      try {
        canonical = code.empty() ? "" : canonical_language(code);
      } catch (const Error&) {
        canonical = "";  // a language outside the table: reported, not used in the prompt
      }
      r.detected[i] = canonical.empty() ? code : canonical;
      if (canonical.empty() || (common && *common != canonical)) agree = false;
      common = canonical;
    }
    if (agree && common) r.task.source_lang = *common;
  }
  std::map<std::string, std::string> terms;
  if (!task.glossary_id.empty()) {
    const Glossary* g = glossaries.find(task.glossary_id);
    if (!g) {
      std::string ids;
      for (const auto& known : glossaries.all()) ids += (ids.empty() ? "" : ", ") + known.id;
      throw InvalidField("glossary_id", fmt::format("no glossary '{}' (loaded: {})",
                                                    task.glossary_id, ids.empty() ? "none" : ids));
    }
    if (r.task.source_lang.empty()) {
      throw InvalidField(
          "source_lang",
          fmt::format("glossary '{}' needs the source language: give source_lang", g->id));
    }
    if (base_language(r.task.source_lang) != g->source_lang ||
        base_language(r.task.target_lang) != g->target_lang) {
      throw InvalidField("glossary_id", fmt::format("glossary '{}' is for {} -> {}, not {} -> {}",
                                                    g->id, g->source_lang, g->target_lang,
                                                    r.task.source_lang, r.task.target_lang));
    }
    terms = g->entries;
  }
  for (const auto& [src, dst] : task.glossary) terms.insert_or_assign(src, dst);
  if (!terms.empty()) {
    std::string all;
    for (const auto& t : plain_texts) all += t + "\n";
    r.terms = glossary_terms_in(terms, all);
    r.task.glossary = r.terms;
  }
  return r;
}

// One request's documents and where each translated piece goes. Guarded by mu.
class DocumentJob {
 public:
  struct Line {
    size_t doc = 0;
    TextLine line;
    std::optional<size_t> text;  // index among the Translator's texts; none = kept verbatim
    std::string translation;
    bool done = false;
    bool streamed = false;  // pieces already released
    bool block = false;     // a segment that may span lines (kNone / kNoNewlines)
  };

  std::mutex mu;
  bool closed = false;
  Translator* translator = nullptr;
  // The round in the engine. Weak: the round's callbacks own this job (a strong pointer back
  // would be a cycle that keeps both, and the caller's callbacks, alive forever).
  std::weak_ptr<TranslationJob> current;
  DocumentCallbacks cb;
  TextFormat format = TextFormat::kPlain;
  ResolvedTask resolved;
  TranslateOptions options;
  std::vector<std::string> plain;  // per doc: text without markup (checks)
  std::vector<DocumentResult> results;
  std::vector<std::string> units;  // the first round's Translator texts
  TranslationUsage usage;

  // Plain text.
  std::vector<Line> lines;      // every doc's lines, in order
  std::vector<size_t> line_of;  // Translator text -> line
  std::vector<size_t> doc_end;  // per doc: one past its last line
  size_t cursor = 0;            // next line to release
  size_t next_doc = 0;          // next doc to complete
  bool blocks = false;          // kNone / kNoNewlines: segments that span lines
  // Blocks whose translation had another number of lines: translated again line by line.
  struct Reline {
    size_t line;                             // the block
    std::vector<TextLine> parts;             // its lines
    std::vector<std::optional<size_t>> run;  // per part: second-round text; none = verbatim
  };
  std::vector<Reline> relines;

  // Markup.
  std::vector<MarkupDocument> docs;
  std::vector<std::pair<size_t, size_t>> unit_of;  // Translator text -> (doc, unit)
  std::vector<std::string> unit_text;              // Translator text -> translation
  struct Repair {
    size_t doc, unit, first, count;  // runs [first, first + count) of the second round
  };
  std::vector<Repair> repairs;
  std::vector<std::string> run_text;

  void add_usage(const TranslationUsage& u) {
    usage.prompt_tokens += u.prompt_tokens;
    usage.completion_tokens += u.completion_tokens;
    usage.cached_prompt_tokens += u.cached_prompt_tokens;
    usage.cached_segments += u.cached_segments;
    usage.segments += u.segments;
    usage.timing.merge(u.timing);
  }

  void fail(ErrorKind kind, const std::string& message) {
    if (closed) return;
    closed = true;
    cb.on_error(kind, message);
  }

  void complete_doc(size_t d) {
    auto& r = results[d];
    if (!resolved.terms.empty())
      r.glossary_misses = glossary_misses(resolved.terms, plain[d], r.translation);
    if (cb.on_text) cb.on_text(d, r);
  }

  void emit(size_t doc, const std::string& piece) {
    if (piece.empty()) return;
    results[doc].translation += piece;
    if (cb.on_piece) cb.on_piece(doc, piece);
  }

  // Plain text: releases every line that is ready, in order, and completes finished docs.
  void advance() {
    while (true) {
      while (next_doc < doc_end.size() && doc_end[next_doc] <= cursor) complete_doc(next_doc++);
      if (cursor >= lines.size()) return;
      Line& l = lines[cursor];
      if (l.text && !l.done) return;
      if (!l.streamed) emit(l.doc, l.text ? l.translation : l.line.text);
      emit(l.doc, l.line.terminator);
      ++cursor;
    }
  }

  void on_line_piece(size_t text, const std::string& piece) {
    if (closed) return;
    advance();
    Line& l = lines[line_of[text]];
    if (&lines[cursor] != &l) return;  // released whole with on_text
    l.streamed = true;
    emit(l.doc, one_line(piece));
  }

  void on_line_text(size_t text, std::string translation) {
    if (closed) return;
    Line& l = lines[line_of[text]];
    if (l.block) {
      auto mapped = reline(l.line.text, translation);
      if (!mapped) {
        relines.push_back({line_of[text], split_lines(l.line.text), {}});
        ++results[l.doc].relined_segments;
        return;  // done in the second round
      }
      l.translation = std::move(*mapped);
    } else {
      l.translation = one_line(std::move(translation));
    }
    l.done = true;
    advance();
  }

  // The second round's texts for the blocks to translate line by line.
  std::vector<std::string> reline_runs() {
    std::vector<std::string> runs;
    for (auto& r : relines) {
      for (const auto& part : r.parts) {
        r.run.push_back(has_words(part.text) ? std::optional(runs.size()) : std::nullopt);
        if (r.run.back()) runs.push_back(part.text);
      }
    }
    return runs;
  }

  // Second round done: each block from its lines' translations, the source's terminators.
  void fill_relines() {
    for (const auto& r : relines) {
      std::string out;
      for (size_t i = 0; i < r.parts.size(); ++i) {
        out += r.run[i] ? one_line(run_text[*r.run[i]]) : r.parts[i].text;
        out += r.parts[i].terminator;
      }
      lines[r.line].translation = std::move(out);
      lines[r.line].done = true;
    }
  }

  void finish() {
    if (closed) return;
    if (format != TextFormat::kPlain) {
      for (size_t d = 0; d < docs.size(); ++d) {
        results[d].translation = docs[d].render();
        complete_doc(d);
      }
    } else {
      advance();
    }
    closed = true;
    cb.on_done(usage);
  }
};

DocumentTranslator::DocumentTranslator(Translator& translator,
                                       std::shared_ptr<const GlossaryStore> glossaries)
    : translator_(translator), glossaries_(std::move(glossaries)) {
  if (!glossaries_) glossaries_ = std::make_shared<GlossaryStore>();
}

std::shared_ptr<DocumentJob> DocumentTranslator::prepare(const DocumentTask& task,
                                                         std::vector<std::string> texts,
                                                         const TranslateOptions& options,
                                                         DocumentCallbacks callbacks) {
  auto job = std::make_shared<DocumentJob>();
  job->translator = &translator_;
  job->cb = std::move(callbacks);
  job->format = task.format;
  job->options = options;
  job->options.preserve_formatting = task.preserve_formatting;
  job->results.resize(texts.size());
  std::vector<std::string>& units = job->units;
  if (task.format == TextFormat::kPlain) {
    job->plain = texts;
    job->blocks = task.split == SentenceSplit::kNone || task.split == SentenceSplit::kNoNewlines;
    job->options.segmentation = job->blocks                               ? Segmentation::kWhole
                                : task.split == SentenceSplit::kSentences ? Segmentation::kSentences
                                                                          : Segmentation::kBudget;
    for (size_t d = 0; d < texts.size(); ++d) {
      for (auto& line : plain_pieces(texts[d], task.split)) {
        DocumentJob::Line l;
        l.doc = d;
        l.block = job->blocks;
        if (has_words(line.text)) {
          l.text = units.size();
          job->line_of.push_back(job->lines.size());
          units.push_back(line.text);
        }
        l.line = std::move(line);
        job->lines.push_back(std::move(l));
      }
      job->doc_end.push_back(job->lines.size());
    }
  } else {
    MarkupOptions mo = task.markup;
    mo.kind = task.format == TextFormat::kXml ? MarkupKind::kXml : MarkupKind::kHtml;
    for (size_t d = 0; d < texts.size(); ++d) {
      job->docs.push_back(MarkupDocument::parse(texts[d], mo));
      const auto& doc = job->docs.back();
      std::string plain;
      for (size_t u = 0; u < doc.unit_count(); ++u) {
        job->unit_of.emplace_back(d, u);
        units.push_back(doc.unit_source(u));
        plain += doc.unit_plain_text(u) + "\n";
      }
      job->plain.push_back(std::move(plain));
    }
    job->unit_text.resize(units.size());
  }
  for (size_t d = 0; d < texts.size(); ++d)
    job->results[d].billed_characters = code_points(texts[d]);
  job->resolved = resolve_task(task, job->plain, *glossaries_);
  for (size_t d = 0; d < texts.size(); ++d) {
    job->results[d].detected_source_lang = job->resolved.detected[d];
    job->results[d].detected_confidence = job->resolved.detected_confidence[d];
  }
  return job;
}

void DocumentTranslator::start(const std::shared_ptr<DocumentJob>& job) {
  TranslationCallbacks cb;
  if (job->format == TextFormat::kPlain) {
    if (!job->blocks) {  // a block is released once its lines are checked
      cb.on_piece = [job](size_t text, const std::string& piece) {
        std::lock_guard lock(job->mu);
        job->on_line_piece(text, piece);
      };
    }
    cb.on_text = [job](size_t text, std::string translation) {
      std::lock_guard lock(job->mu);
      job->on_line_text(text, std::move(translation));
    };
    cb.on_done = [this, job](const TranslationUsage& u) { on_plain_done(job, u); };
  } else {
    cb.on_text = [job](size_t text, std::string translation) {
      std::lock_guard lock(job->mu);
      job->unit_text[text] = std::move(translation);
    };
    cb.on_done = [this, job](const TranslationUsage& u) { on_markup_done(job, u); };
  }
  cb.on_error = [job](ErrorKind kind, const std::string& message) {
    std::lock_guard lock(job->mu);
    job->fail(kind, message);
  };
  // No lock here: with every segment cached the callbacks run inside start().
  auto first = translator_.start(job->resolved.task, job->units, job->options, std::move(cb));
  std::lock_guard lock(job->mu);
  job->current = first;
}

std::shared_ptr<DocumentJob> DocumentTranslator::start(const DocumentTask& task,
                                                       std::vector<std::string> texts,
                                                       const TranslateOptions& options,
                                                       DocumentCallbacks callbacks) {
  auto job = prepare(task, std::move(texts), options, std::move(callbacks));
  start(job);
  return job;
}

void DocumentTranslator::on_markup_done(const std::shared_ptr<DocumentJob>& job,
                                        const TranslationUsage& u) {
  std::vector<std::string> runs;
  {
    std::lock_guard lock(job->mu);
    if (job->closed) return;
    job->add_usage(u);
    for (size_t t = 0; t < job->unit_of.size(); ++t) {
      const auto [d, unit] = job->unit_of[t];
      auto& doc = job->docs[d];
      if (doc.fill(unit, job->unit_text[t])) continue;
      if (!doc.unit_has_placeholders(unit)) {
        doc.fill_runs(unit, {job->unit_text[t]});  // one run: the model's text, escaped
        continue;
      }
      auto unit_runs = doc.unit_runs(unit);
      job->repairs.push_back({d, unit, runs.size(), unit_runs.size()});
      ++job->results[d].repaired_units;
      for (auto& r : unit_runs) runs.push_back(std::move(r));
    }
    if (runs.empty()) {
      job->finish();
      return;
    }
    job->run_text.resize(runs.size());
  }
  // Second round: the text runs between the tags, translated one by one (no placeholders), so
  // the skeleton is the input's by construction.
  TranslationTask task = job->resolved.task;
  task.placeholders = false;
  start_second_round(job, task, std::move(runs), [job] {
    for (const auto& r : job->repairs) {
      std::vector<std::string> tr(
          job->run_text.begin() + static_cast<std::ptrdiff_t>(r.first),
          job->run_text.begin() + static_cast<std::ptrdiff_t>(r.first + r.count));
      job->docs[r.doc].fill_runs(r.unit, tr);
    }
  });
}

void DocumentTranslator::on_plain_done(const std::shared_ptr<DocumentJob>& job,
                                       const TranslationUsage& u) {
  std::vector<std::string> runs;
  {
    std::lock_guard lock(job->mu);
    if (job->closed) return;
    job->add_usage(u);
    if (job->relines.empty()) {
      job->finish();
      return;
    }
    runs = job->reline_runs();
    job->run_text.resize(runs.size());
  }
  start_second_round(job, job->resolved.task, std::move(runs), [job] { job->fill_relines(); });
}

void DocumentTranslator::start_second_round(const std::shared_ptr<DocumentJob>& job,
                                            const TranslationTask& task,
                                            std::vector<std::string> runs,
                                            std::function<void()> fill) {
  TranslateOptions options = job->options;
  options.continues_admitted_work = true;  // the document was admitted whole
  options.segmentation = Segmentation::kBudget;
  TranslationCallbacks cb;
  cb.on_text = [job](size_t run, std::string translation) {
    std::lock_guard lock(job->mu);
    job->run_text[run] = std::move(translation);
  };
  cb.on_done = [job, fill = std::move(fill)](const TranslationUsage& u) {
    std::lock_guard lock(job->mu);
    if (job->closed) return;
    job->add_usage(u);
    fill();
    job->finish();
  };
  cb.on_error = [job](ErrorKind kind, const std::string& message) {
    std::lock_guard lock(job->mu);
    job->fail(kind, message);
  };
  try {
    auto second = translator_.start(task, runs, options, std::move(cb));
    std::lock_guard lock(job->mu);
    if (job->closed && second) translator_.cancel(second);
    job->current = second;
  } catch (const Error& e) {
    std::lock_guard lock(job->mu);
    job->fail(e.kind(), e.what());
  }
}

void DocumentTranslator::cancel(const std::shared_ptr<DocumentJob>& job) {
  std::shared_ptr<TranslationJob> current;
  {
    std::lock_guard lock(job->mu);
    if (job->closed) return;
    job->closed = true;
    current = job->current.lock();
  }
  if (current) translator_.cancel(current);
}

}  // namespace dsinfer::translate
