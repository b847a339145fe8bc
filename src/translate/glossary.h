// Glossaries provisioned as files (in Kubernetes a ConfigMap mounted as a directory): one file
// per glossary, named `<name>.<source>-<target>.tsv` or `.csv` (DeepL's entry formats), loaded
// once at start and read-only afterwards. Also the check of a translation against its terms.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::translate {

struct Glossary {
  std::string id;                              // the file name without its extension ("acme.en-de")
  std::string name;                            // the part before the language pair ("acme")
  std::string source_lang;                     // lower-case ISO 639-1 ("en")
  std::string target_lang;                     // lower-case ISO 639-1 ("de")
  std::map<std::string, std::string> entries;  // source term -> target term
  std::chrono::system_clock::time_point created;  // the file's modification time
};

// Parses one glossary file's bytes. `format` is "tsv" (source<TAB>target per line) or "csv"
// (RFC 4180 fields: source,target[,source_lang,target_lang]; the optional languages must match
// the file's pair). Throws Error(kBadFile) naming `where` and the line: invalid UTF-8, an empty
// term, a duplicate source term, a term with surrounding or control whitespace, too many columns.
std::map<std::string, std::string> parse_glossary_entries(std::string_view bytes,
                                                          std::string_view format,
                                                          std::string_view where,
                                                          std::string_view source_lang,
                                                          std::string_view target_lang);

class GlossaryStore {
 public:
  GlossaryStore() = default;  // no glossaries

  // Loads every *.tsv / *.csv file of `dir` (other files, such as the `..data` links of a
  // mounted ConfigMap, are skipped). Throws Error(kBadFile) naming the file for a bad name or
  // content, and Error(kInvalidInput) when `dir` is not a readable directory.
  static GlossaryStore load(const std::string& dir);

  // nullptr when unknown. Thread-safe (the store is immutable).
  const Glossary* find(std::string_view id) const;
  const std::vector<Glossary>& all() const { return glossaries_; }
  // Distinct (source, target) pairs, sorted.
  std::vector<std::pair<std::string, std::string>> language_pairs() const;

  void add(Glossary glossary);  // for tests and load(); throws on a duplicate id

 private:
  std::vector<Glossary> glossaries_;  // sorted by id
};

// The entries whose source term occurs in `text` (case-insensitive for ASCII letters): what a
// request's prompt needs of a large glossary.
std::map<std::string, std::string> glossary_terms_in(
    const std::map<std::string, std::string>& terms, std::string_view text);

struct GlossaryMiss {
  std::string source;  // the term found in the source text
  std::string target;  // the required translation, absent from the output
};

// Terms whose source occurs in `source_text` but whose target does not occur in `translation`
// (both compared case-insensitively for ASCII letters).
std::vector<GlossaryMiss> glossary_misses(const std::map<std::string, std::string>& terms,
                                          std::string_view source_text,
                                          std::string_view translation);

}  // namespace dsinfer::translate
