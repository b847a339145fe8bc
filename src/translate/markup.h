// Markup-safe translation of HTML/XML: the document is split into verbatim markup and
// translatable units; inline tags inside a unit become numbered placeholders for the model, and
// every unit is written back so that the output's tag skeleton is the input's, byte for byte.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::translate {

enum class MarkupKind { kHtml, kXml };

struct MarkupOptions {
  MarkupKind kind = MarkupKind::kHtml;
  std::vector<std::string> ignore_tags;         // content copied verbatim, never translated
  std::vector<std::string> non_splitting_tags;  // inline: kept inside the sentence
  std::vector<std::string> splitting_tags;      // block: end the current unit
};

// NOTE: the skeleton of a document is the sequence of its markup tokens: tags (with their
// attributes), comments, CDATA sections, declarations, processing instructions and the entities
// other than the five character escapes (&amp; &lt; &gt; &quot; &apos;/&#39;, which are text).
// Markup tokens are only ever copied from the input, in input order; text between them is the
// only thing that changes. A unit's model output is accepted only when its placeholders are
// exactly the unit's, in the same order; otherwise the unit is rebuilt from the separately
// translated text runs between its tags (fill_runs). Either way the skeleton is the input's.
class MarkupDocument {
 public:
  // Never fails: bytes that do not form markup (a lone '<', an unterminated comment) are text or
  // are kept verbatim to the end. Tag names compare case-insensitively for HTML.
  static MarkupDocument parse(std::string_view input, const MarkupOptions& options);

  size_t unit_count() const { return units_.size(); }

  // What the model translates: the unit's text (entities decoded) with its inline markup as
  // placeholders: <gN>…</gN> for a pair of tags, <xN/> for a lone tag, comment or entity.
  const std::string& unit_source(size_t unit) const { return units_[unit].source; }
  bool unit_has_placeholders(size_t unit) const;

  // The unit's plain text without placeholders (for language detection and glossary checks).
  std::string unit_plain_text(size_t unit) const;

  // Accepts the model's translation of unit_source(unit): true when its placeholders are
  // exactly the unit's in order (the unit is then filled), false otherwise (nothing changes).
  bool fill(size_t unit, std::string_view translation);

  // The fallback: the translatable text runs between the unit's tags, to translate one by one,
  // and the unit filled from their translations (same order and count as unit_runs).
  std::vector<std::string> unit_runs(size_t unit) const;
  void fill_runs(size_t unit, const std::vector<std::string>& translations);

  // The document with every unit's translation; a unit not filled is written as its source
  // text (so render() right after parse() gives the input back, byte for byte).
  std::string render() const;

  // The markup tokens of `text`, in order (what "skeleton" means above), for tests and checks.
  static std::vector<std::string> skeleton(std::string_view text, const MarkupOptions& options);

 private:
  struct Item {
    enum class Type { kText, kOpen, kClose, kAtom };
    Type type = Type::kText;
    std::string raw;   // bytes in the input
    std::string text;  // kText: the decoded text
    int id = 0;        // placeholder number (tags)
  };
  struct Unit {
    std::vector<Item> items;
    std::string source;       // with placeholders
    std::string translation;  // escaped output, once filled
    bool filled = false;
  };
  struct Piece {
    bool is_unit = false;
    std::string verbatim;
    size_t unit = 0;
  };

  class Builder;

  std::vector<Piece> pieces_;
  std::vector<Unit> units_;
};

// Text worth sending to the model: it has a letter of any script (a non-ASCII byte counts);
// numbers, punctuation and whitespace alone are kept as they are.
bool has_words(std::string_view text);

// Text for a markup text node: '&', '<' and '>' escaped.
std::string escape_markup_text(std::string_view text);

}  // namespace dsinfer::translate
