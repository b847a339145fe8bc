// Glossary files: parsing (TSV/CSV as DeepL accepts them), the directory store, term checks.
#include "translate/glossary.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/error.h"
#include "translate/prompt.h"

namespace dsinfer::translate {
namespace {

constexpr size_t kMaxFileBytes = 10 << 20;  // DeepL's limit for one glossary
constexpr size_t kMaxTermBytes = 1024;

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Fields of one CSV record starting at `pos` (RFC 4180: quotes, doubled quotes, newlines inside
// quotes); advances `pos` past the record's line break. `line` counts the lines consumed.
std::vector<std::string> csv_record(std::string_view s, size_t& pos, size_t& line,
                                    std::string_view where) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  bool was_quoted = false;
  while (pos < s.size()) {
    const char c = s[pos++];
    if (quoted) {
      if (c == '"' && pos < s.size() && s[pos] == '"') {
        fields.back() += '"';
        ++pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        fields.back() += c;
      }
    } else if (c == '"' && fields.back().empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
      was_quoted = false;
    } else if (c == '\n') {
      ++line;
      break;
    } else if (c == '\r' && pos < s.size() && s[pos] == '\n') {
      continue;
    } else {
      if (was_quoted) fail(ErrorKind::kBadFile, "{}:{}: text after a closing quote", where, line);
      fields.back() += c;
    }
  }
  if (quoted) fail(ErrorKind::kBadFile, "{}:{}: unterminated quoted field", where, line);
  return fields;
}

void check_term(const std::string& term, std::string_view where, size_t line) {
  if (term.empty()) fail(ErrorKind::kBadFile, "{}:{}: empty term", where, line);
  if (term.size() > kMaxTermBytes) {
    fail(ErrorKind::kBadFile, "{}:{}: term longer than {} bytes", where, line, kMaxTermBytes);
  }
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  if (space(term.front()) || space(term.back())) {
    fail(ErrorKind::kBadFile, "{}:{}: term '{}' starts or ends with whitespace", where, line, term);
  }
  for (char c : term) {
    if (static_cast<unsigned char>(c) < 0x20) {
      fail(ErrorKind::kBadFile, "{}:{}: term contains a control character", where, line);
    }
  }
}

// Case-insensitive (ASCII) substring search.
bool contains_ci(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return false;
  return ascii_lower(haystack).find(ascii_lower(needle)) != std::string::npos;
}

}  // namespace

std::map<std::string, std::string> parse_glossary_entries(std::string_view bytes,
                                                          std::string_view format,
                                                          std::string_view where,
                                                          std::string_view source_lang,
                                                          std::string_view target_lang) {
  if (bytes.size() > kMaxFileBytes) {
    fail(ErrorKind::kBadFile, "{}: larger than {} bytes", where, kMaxFileBytes);
  }
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);  // UTF-8 byte order mark
  if (!valid_utf8(bytes)) fail(ErrorKind::kBadFile, "{}: not valid UTF-8", where);
  if (format != "tsv" && format != "csv") {
    fail(ErrorKind::kBadFile, "{}: format must be tsv or csv, not '{}'", where, format);
  }
  std::map<std::string, std::string> entries;
  size_t pos = 0;
  size_t line = 1;
  while (pos < bytes.size()) {
    const size_t at = line;
    std::vector<std::string> fields;
    if (format == "csv") {
      fields = csv_record(bytes, pos, line, where);
    } else {
      size_t end = bytes.find('\n', pos);
      if (end == std::string_view::npos) end = bytes.size();
      std::string_view record = bytes.substr(pos, end - pos);
      if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
      pos = end + 1;
      ++line;
      fields.emplace_back();
      for (char c : record) {
        if (c == '\t') {
          fields.emplace_back();
        } else {
          fields.back() += c;
        }
      }
    }
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != 2 && !(format == "csv" && fields.size() == 4)) {
      fail(ErrorKind::kBadFile, "{}:{}: expected 2 fields (source, target){}, found {}", where, at,
           format == "csv" ? " or 4 (source, target, source_lang, target_lang)" : "",
           fields.size());
    }
    if (fields.size() == 4 &&
        (ascii_lower(fields[2]) != source_lang || ascii_lower(fields[3]) != target_lang)) {
      fail(ErrorKind::kBadFile, "{}:{}: languages {}-{} differ from the file's pair {}-{}", where,
           at, fields[2], fields[3], source_lang, target_lang);
    }
    check_term(fields[0], where, at);
    check_term(fields[1], where, at);
    if (!entries.emplace(fields[0], fields[1]).second) {
      fail(ErrorKind::kBadFile, "{}:{}: duplicate source term '{}'", where, at, fields[0]);
    }
  }
  return entries;
}

GlossaryStore GlossaryStore::load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fail(ErrorKind::kInvalidInput, "glossary directory '{}' does not exist or is not a directory",
         dir);
  }
  GlossaryStore store;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto& p = entry.path();
    const std::string ext = ascii_lower(p.extension().string());
    if (p.filename().string().rfind("..", 0) == 0 || (ext != ".tsv" && ext != ".csv")) continue;
    files.push_back(p);
  }
  if (ec) fail(ErrorKind::kInvalidInput, "glossary directory '{}': {}", dir, ec.message());
  for (const auto& p : files) {
    const std::string where = p.string();
    const std::string stem = p.stem().string();  // "<name>.<src>-<tgt>"
    const size_t dot = stem.rfind('.');
    const std::string pair = dot == std::string::npos ? "" : ascii_lower(stem.substr(dot + 1));
    const size_t dash = pair.find('-');
    if (dot == 0 || dot == std::string::npos || dash == std::string::npos) {
      fail(ErrorKind::kBadFile,
           "{}: glossary files are named <name>.<source>-<target>.tsv|csv (e.g. acme.en-de.tsv)",
           where);
    }
    Glossary g;
    g.id = stem;
    g.name = stem.substr(0, dot);
    g.source_lang = pair.substr(0, dash);
    g.target_lang = pair.substr(dash + 1);
    for (const auto& lang : {g.source_lang, g.target_lang}) {
      try {
        language_name(lang);
      } catch (const Error& e) {
        fail(ErrorKind::kBadFile, "{}: {}", where, e.what());
      }
    }
    if (g.source_lang == g.target_lang) {
      fail(ErrorKind::kBadFile, "{}: source and target language are the same", where);
    }
    std::ifstream in(p, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in) fail(ErrorKind::kBadFile, "{}: cannot read", where);
    g.entries = parse_glossary_entries(bytes.str(), ascii_lower(p.extension().string().substr(1)),
                                       where, g.source_lang, g.target_lang);
    if (g.entries.empty()) fail(ErrorKind::kBadFile, "{}: no entries", where);
    const auto mtime = fs::last_write_time(p, ec);
    g.created = std::chrono::system_clock::now();
    if (!ec) {
      g.created -= std::chrono::duration_cast<std::chrono::system_clock::duration>(
          fs::file_time_type::clock::now() - mtime);
    }
    store.add(std::move(g));
  }
  return store;
}

void GlossaryStore::add(Glossary glossary) {
  if (find(glossary.id)) fail(ErrorKind::kBadFile, "duplicate glossary id '{}'", glossary.id);
  const auto at =
      std::lower_bound(glossaries_.begin(), glossaries_.end(), glossary.id,
                       [](const Glossary& g, const std::string& id) { return g.id < id; });
  glossaries_.insert(at, std::move(glossary));
}

const Glossary* GlossaryStore::find(std::string_view id) const {
  const auto at = std::lower_bound(glossaries_.begin(), glossaries_.end(), id,
                                   [](const Glossary& g, std::string_view i) { return g.id < i; });
  return at != glossaries_.end() && at->id == id ? &*at : nullptr;
}

std::vector<std::pair<std::string, std::string>> GlossaryStore::language_pairs() const {
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& g : glossaries_) pairs.emplace(g.source_lang, g.target_lang);
  return {pairs.begin(), pairs.end()};
}

std::map<std::string, std::string> glossary_terms_in(
    const std::map<std::string, std::string>& terms, std::string_view text) {
  std::map<std::string, std::string> out;
  const std::string low = ascii_lower(text);
  for (const auto& [src, dst] : terms) {
    if (low.find(ascii_lower(src)) != std::string::npos) out.emplace(src, dst);
  }
  return out;
}

std::vector<GlossaryMiss> glossary_misses(const std::map<std::string, std::string>& terms,
                                          std::string_view source_text,
                                          std::string_view translation) {
  std::vector<GlossaryMiss> out;
  for (const auto& [src, dst] : terms) {
    if (contains_ci(source_text, src) && !contains_ci(translation, dst)) out.push_back({src, dst});
  }
  return out;
}

}  // namespace dsinfer::translate
