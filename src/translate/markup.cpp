// HTML/XML tokenizer, unit building with placeholders, and the placeholder check on the way back.
#include "translate/markup.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

namespace dsinfer::translate {
namespace {

struct Token {
  enum class Kind {
    kText,    // plain text bytes
    kEscape,  // &amp; &lt; &gt; &quot; &apos; (and numeric forms): text
    kEntity,  // any other entity or character reference: kept as written
    kStart,   // <name ...>
    kEnd,     // </name>
    kEmpty,   // <name .../>
    kOther,   // comment, CDATA, declaration, processing instruction, raw text, unterminated
  };
  Kind kind = Kind::kText;
  std::string_view bytes;
  std::string name;     // tags: the name (lower-cased for HTML)
  std::string decoded;  // kEscape: the character
};

Token make_token(Token::Kind kind, std::string_view bytes, std::string name = "") {
  Token t;
  t.kind = kind;
  t.bytes = bytes;
  t.name = std::move(name);
  return t;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_markup_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool starts_with_ci(std::string_view s, size_t at, std::string_view prefix) {
  if (s.size() - at < prefix.size()) return false;
  return lower(s.substr(at, prefix.size())) == prefix;
}

// The character of one of the five XML escapes, or nullopt for any other reference.
std::optional<std::string> basic_escape(std::string_view ref) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kEscapes = {{
      {"&amp;", "&"},
      {"&lt;", "<"},
      {"&gt;", ">"},
      {"&quot;", "\""},
      {"&apos;", "'"},
      {"&#38;", "&"},
      {"&#60;", "<"},
      {"&#62;", ">"},
      {"&#34;", "\""},
      {"&#39;", "'"},
  }};
  for (const auto& [name, ch] : kEscapes) {
    if (ref == name) return std::string(ch);
  }
  return std::nullopt;
}

// Length of a character reference at s[at] ('&'), or 0 when it is not one.
size_t reference_length(std::string_view s, size_t at) {
  size_t i = at + 1;
  if (i < s.size() && s[i] == '#') {
    ++i;
    const bool hex = i < s.size() && (s[i] == 'x' || s[i] == 'X');
    if (hex) ++i;
    const size_t digits = i;
    while (i < s.size() && i - digits < 8 &&
           (is_ascii_digit(s[i]) || (hex && std::isxdigit(static_cast<unsigned char>(s[i]))))) {
      ++i;
    }
    if (i == digits) return 0;
  } else {
    const size_t name = i;
    while (i < s.size() && i - name < 32 && (is_alpha(s[i]) || is_ascii_digit(s[i]))) ++i;
    if (i == name || !is_alpha(s[name])) return 0;
  }
  return i < s.size() && s[i] == ';' ? i + 1 - at : 0;
}

// End of a tag that starts at s[at] ('<'): one past its '>', honouring quoted attribute values;
// npos when it never closes.
size_t tag_end(std::string_view s, size_t at) {
  char quote = 0;
  for (size_t i = at + 1; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

std::vector<Token> tokenize(std::string_view s, bool html) {
  std::vector<Token> out;
  size_t text_start = 0;
  auto flush_text = [&](size_t end) {
    if (end > text_start)
      out.push_back(make_token(Token::Kind::kText, s.substr(text_start, end - text_start)));
  };
  auto emit = [&](size_t at, size_t end, Token::Kind kind, std::string name = "") {
    flush_text(at);
    out.push_back(make_token(kind, s.substr(at, end - at), std::move(name)));
    text_start = end;
  };
  auto until = [&](size_t from, std::string_view close) {
    const size_t e = s.find(close, from);
    return e == std::string_view::npos ? s.size() : e + close.size();
  };
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '&') {
      const size_t len = reference_length(s, i);
      if (len == 0) {
        ++i;
        continue;
      }
      const std::string_view ref = s.substr(i, len);
      if (auto ch = basic_escape(ref)) {
        flush_text(i);
        Token t = make_token(Token::Kind::kEscape, ref);
        t.decoded = std::move(*ch);
        out.push_back(std::move(t));
        text_start = i + len;
      } else {
        emit(i, i + len, Token::Kind::kEntity);
      }
      i += len;
      continue;
    }
    if (c != '<' || i + 1 >= s.size()) {
      ++i;
      continue;
    }
    const char d = s[i + 1];
    if (s.compare(i, 4, "<!--") == 0) {
      const size_t e = until(i + 4, "-->");
      emit(i, e, Token::Kind::kOther);
      i = e;
    } else if (s.compare(i, 9, "<![CDATA[") == 0) {
      const size_t e = until(i + 9, "]]>");
      emit(i, e, Token::Kind::kOther);
      i = e;
    } else if (d == '!' || d == '?') {
      const size_t e = until(i + 2, d == '?' && !html ? "?>" : ">");
      emit(i, e, Token::Kind::kOther);
      i = e;
    } else if (d == '/' && i + 2 < s.size() && is_alpha(s[i + 2])) {
      size_t n = i + 2;
      while (n < s.size() && !is_markup_space(s[n]) && s[n] != '>' && s[n] != '/') ++n;
      const std::string name(s.substr(i + 2, n - i - 2));
      const size_t e = until(n, ">");
      emit(i, e, Token::Kind::kEnd, html ? lower(name) : name);
      i = e;
    } else if (is_alpha(d) || (!html && (d == '_' || d == ':'))) {
      size_t n = i + 1;
      while (n < s.size() && !is_markup_space(s[n]) && s[n] != '>' && s[n] != '/') ++n;
      std::string name(s.substr(i + 1, n - i - 1));
      if (html) name = lower(name);
      size_t e = tag_end(s, i);
      if (e == std::string_view::npos) {
        emit(i, s.size(), Token::Kind::kOther);  // unterminated: kept as it is
        i = s.size();
        continue;
      }
      const bool empty = s[e - 2] == '/';
      emit(i, e, empty ? Token::Kind::kEmpty : Token::Kind::kStart, name);
      i = e;
      if (html && !empty && (name == "script" || name == "style")) {
        // Raw text: everything up to the matching end tag is one verbatim token.
        size_t close = i;
        while (close < s.size() && !(s[close] == '<' && starts_with_ci(s, close, "</" + name))) {
          ++close;
        }
        if (close > i) emit(i, close, Token::Kind::kOther);
        i = close;
      }
    } else {
      ++i;
    }
  }
  flush_text(s.size());
  return out;
}

bool contains(const std::vector<std::string>& names, const std::string& name, bool html) {
  for (const auto& n : names) {
    if ((html ? lower(n) : n) == name) return true;
  }
  return false;
}

bool html_void(const std::string& name) {
  static constexpr std::array<std::string_view, 14> kVoid = {
      "area",  "base", "br",   "col",   "embed",  "hr",    "img",
      "input", "link", "meta", "param", "source", "track", "wbr"};
  return std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end();
}

bool html_inline(const std::string& name) {
  static constexpr std::array<std::string_view, 33> kInline = {
      "a",     "abbr", "b",      "bdi",    "bdo", "br",  "cite",  "code", "data", "del", "dfn",
      "em",    "font", "i",      "img",    "ins", "kbd", "label", "mark", "q",    "s",   "samp",
      "small", "span", "strike", "strong", "sub", "sup", "time",  "tt",   "u",    "var", "wbr"};
  return std::find(kInline.begin(), kInline.end(), name) != kInline.end();
}

// The value of attribute `attr` in a start tag's bytes, lower-cased; "" when absent.
std::string attribute(std::string_view tag, std::string_view attr) {
  size_t i = 1;
  while (i < tag.size() && !is_markup_space(tag[i]) && tag[i] != '>' && tag[i] != '/') ++i;
  while (i < tag.size()) {
    while (i < tag.size() && (is_markup_space(tag[i]) || tag[i] == '/')) ++i;
    const size_t name = i;
    while (i < tag.size() && !is_markup_space(tag[i]) && tag[i] != '=' && tag[i] != '>' &&
           tag[i] != '/') {
      ++i;
    }
    if (i == name) break;
    const std::string key = lower(tag.substr(name, i - name));
    while (i < tag.size() && is_markup_space(tag[i])) ++i;
    std::string value;
    if (i < tag.size() && tag[i] == '=') {
      ++i;
      while (i < tag.size() && is_markup_space(tag[i])) ++i;
      if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
        const char q = tag[i++];
        const size_t v = i;
        while (i < tag.size() && tag[i] != q) ++i;
        value = tag.substr(v, i - v);
        ++i;
      } else {
        const size_t v = i;
        while (i < tag.size() && !is_markup_space(tag[i]) && tag[i] != '>') ++i;
        value = tag.substr(v, i - v);
      }
    }
    if (key == attr) return lower(value);
  }
  return "";
}

struct Placeholder {
  enum class Type { kOpen, kClose, kAtom };
  Type type;
  int id;
  bool operator==(const Placeholder&) const = default;
};

// The placeholders of a model's output, in order, with the text between them.
void scan_placeholders(std::string_view s, std::vector<Placeholder>& marks,
                       std::vector<std::string_view>& texts) {
  size_t text_start = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '<') {
      ++i;
      continue;
    }
    size_t j = i + 1;
    const bool close = j < s.size() && s[j] == '/';
    if (close) ++j;
    if (j >= s.size() || (s[j] != 'g' && s[j] != 'x')) {
      ++i;
      continue;
    }
    const char kind = s[j++];
    const size_t digits = j;
    while (j < s.size() && is_ascii_digit(s[j]) && j - digits < 6) ++j;
    if (j == digits) {
      ++i;
      continue;
    }
    const int id = std::stoi(std::string(s.substr(digits, j - digits)));
    std::optional<Placeholder> mark;
    if (kind == 'g' && j < s.size() && s[j] == '>') {
      mark = Placeholder{close ? Placeholder::Type::kClose : Placeholder::Type::kOpen, id};
      ++j;
    } else if (kind == 'x' && !close) {
      while (j < s.size() && s[j] == ' ') ++j;
      if (j + 1 < s.size() && s[j] == '/' && s[j + 1] == '>') {
        mark = Placeholder{Placeholder::Type::kAtom, id};
        j += 2;
      }
    }
    if (!mark) {
      ++i;
      continue;
    }
    texts.push_back(s.substr(text_start, i - text_start));
    marks.push_back(*mark);
    text_start = j;
    i = j;
  }
  texts.push_back(s.substr(text_start));
}

}  // namespace

bool has_words(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return is_alpha(c) || static_cast<unsigned char>(c) >= 0x80; });
}

std::string escape_markup_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Walks the tokens: inline markup joins the current unit, splitting markup ends it.
class MarkupDocument::Builder {
 public:
  Builder(MarkupDocument& doc, const MarkupOptions& options)
      : doc_(doc), options_(options), html_(options.kind == MarkupKind::kHtml) {}

  void run(const std::vector<Token>& tokens) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      switch (t.kind) {
        case Token::Kind::kText:
          add_text(t.bytes, t.bytes);
          break;
        case Token::Kind::kEscape:
          add_text(t.bytes, t.decoded);
          break;
        case Token::Kind::kEntity:
        case Token::Kind::kOther:
          add_tag(Item::Type::kAtom, t.bytes, "");
          break;
        case Token::Kind::kStart:
        case Token::Kind::kEmpty: {
          const bool is_inline = inline_tag(t.name);
          if (ignored(t)) {
            // The element with everything inside it, verbatim.
            const size_t end = t.kind == Token::Kind::kStart ? element_end(tokens, i) : i;
            std::string raw;
            for (size_t k = i; k <= end; ++k) raw += tokens[k].bytes;
            i = end;
            if (is_inline) {
              add_tag(Item::Type::kAtom, raw, "");
            } else {
              verbatim(raw);
            }
          } else if (!is_inline) {
            verbatim(t.bytes);
          } else {
            const bool lone = t.kind == Token::Kind::kEmpty || (html_ && html_void(t.name));
            add_tag(lone ? Item::Type::kAtom : Item::Type::kOpen, t.bytes, t.name);
          }
          break;
        }
        case Token::Kind::kEnd:
          if (inline_tag(t.name)) {
            add_tag(Item::Type::kClose, t.bytes, t.name);
          } else {
            verbatim(t.bytes);
          }
          break;
      }
    }
    flush();
  }

 private:
  bool inline_tag(const std::string& name) const {
    if (contains(options_.splitting_tags, name, html_)) return false;
    if (contains(options_.non_splitting_tags, name, html_)) return true;
    return html_ && html_inline(name);
  }

  bool ignored(const Token& t) const {
    if (contains(options_.ignore_tags, t.name, html_)) return true;
    if (!html_) return false;
    if (attribute(t.bytes, "translate") == "no") return true;
    const std::string cls = " " + attribute(t.bytes, "class") + " ";
    return cls.find(" notranslate ") != std::string::npos;
  }

  // Index of the end tag closing the start tag at `start` (same name, nesting counted); the
  // last token when it never closes. An HTML void element has no content.
  size_t element_end(const std::vector<Token>& tokens, size_t start) const {
    if (html_ && html_void(tokens[start].name)) return start;
    int depth = 0;
    for (size_t k = start; k < tokens.size(); ++k) {
      if (tokens[k].name != tokens[start].name) continue;
      if (tokens[k].kind == Token::Kind::kStart) ++depth;
      if (tokens[k].kind == Token::Kind::kEnd && --depth == 0) return k;
    }
    return tokens.size() - 1;
  }

  void add_text(std::string_view raw, std::string_view text) {
    if (!items_.empty() && items_.back().type == Item::Type::kText) {
      items_.back().raw += raw;
      items_.back().text += text;
      return;
    }
    Item item;
    item.raw = std::string(raw);
    item.text = std::string(text);
    items_.push_back(std::move(item));
  }

  void add_tag(Item::Type type, std::string_view raw, const std::string& name) {
    Item item;
    item.type = type;
    item.raw = std::string(raw);
    item.text = name;  // tags: the name, for pairing
    items_.push_back(std::move(item));
  }

  void verbatim(std::string_view bytes) {
    flush();
    append_verbatim(bytes);
  }

  void append_verbatim(std::string_view bytes) {
    if (doc_.pieces_.empty() || doc_.pieces_.back().is_unit) doc_.pieces_.push_back({});
    doc_.pieces_.back().verbatim += bytes;
  }

  static bool content(const Item& item) {
    return item.type == Item::Type::kText && has_words(item.text);
  }

  // Ends the current unit: markup before its first and after its last words stays outside it.
  void flush() {
    std::vector<Item> items;
    items.swap(items_);
    size_t first = items.size();
    size_t last = 0;
    for (size_t k = 0; k < items.size(); ++k) {
      if (content(items[k])) {
        first = std::min(first, k);
        last = k;
      }
    }
    if (first == items.size()) {
      for (const auto& item : items) append_verbatim(item.raw);
      return;
    }
    for (size_t k = 0; k < first; ++k) append_verbatim(items[k].raw);
    Unit unit;
    unit.items.assign(items.begin() + static_cast<std::ptrdiff_t>(first),
                      items.begin() + static_cast<std::ptrdiff_t>(last + 1));
    number(unit);
    doc_.pieces_.push_back({true, "", doc_.units_.size()});
    doc_.units_.push_back(std::move(unit));
    for (size_t k = last + 1; k < items.size(); ++k) append_verbatim(items[k].raw);
  }

  // Pairs each close tag with the open tag of the same name it ends (anything unpaired becomes
  // a lone placeholder), numbers the placeholders in order and writes the model's source.
  static void number(Unit& unit) {
    auto& items = unit.items;
    std::vector<size_t> partner(items.size(), items.size());
    std::vector<size_t> open;
    for (size_t k = 0; k < items.size(); ++k) {
      if (items[k].type == Item::Type::kOpen) open.push_back(k);
      if (items[k].type == Item::Type::kClose && !open.empty() &&
          items[open.back()].text == items[k].text) {
        partner[k] = open.back();
        partner[open.back()] = k;
        open.pop_back();
      }
    }
    int next = 1;
    for (size_t k = 0; k < items.size(); ++k) {
      Item& item = items[k];
      if (item.type == Item::Type::kText) {
        unit.source += item.text;
        continue;
      }
      if (item.type != Item::Type::kAtom && partner[k] == items.size())
        item.type = Item::Type::kAtom;
      if (item.type == Item::Type::kClose) {
        item.id = items[partner[k]].id;
        unit.source += "</g" + std::to_string(item.id) + ">";
        continue;
      }
      item.id = next++;
      unit.source += (item.type == Item::Type::kOpen ? "<g" : "<x") + std::to_string(item.id) +
                     (item.type == Item::Type::kOpen ? ">" : "/>");
    }
  }

  MarkupDocument& doc_;
  const MarkupOptions& options_;
  bool html_;
  std::vector<Item> items_;
};

MarkupDocument MarkupDocument::parse(std::string_view input, const MarkupOptions& options) {
  MarkupDocument doc;
  Builder(doc, options).run(tokenize(input, options.kind == MarkupKind::kHtml));
  return doc;
}

bool MarkupDocument::unit_has_placeholders(size_t unit) const {
  const auto& items = units_[unit].items;
  return std::any_of(items.begin(), items.end(),
                     [](const Item& item) { return item.type != Item::Type::kText; });
}

std::string MarkupDocument::unit_plain_text(size_t unit) const {
  std::string out;
  for (const auto& item : units_[unit].items) {
    if (item.type == Item::Type::kText) out += item.text;
  }
  return out;
}

bool MarkupDocument::fill(size_t unit, std::string_view translation) {
  Unit& u = units_[unit];
  std::vector<Placeholder> expected;
  std::vector<const Item*> tags;
  for (const auto& item : u.items) {
    if (item.type == Item::Type::kText) continue;
    const auto type = item.type == Item::Type::kOpen    ? Placeholder::Type::kOpen
                      : item.type == Item::Type::kClose ? Placeholder::Type::kClose
                                                        : Placeholder::Type::kAtom;
    expected.push_back({type, item.id});
    tags.push_back(&item);
  }
  std::vector<Placeholder> marks;
  std::vector<std::string_view> texts;
  scan_placeholders(translation, marks, texts);
  if (marks != expected) return false;
  std::string out;
  for (size_t k = 0; k < texts.size(); ++k) {
    out += escape_markup_text(texts[k]);
    if (k < tags.size()) out += tags[k]->raw;
  }
  u.translation = std::move(out);
  u.filled = true;
  return true;
}

std::vector<std::string> MarkupDocument::unit_runs(size_t unit) const {
  std::vector<std::string> runs;
  for (const auto& item : units_[unit].items) {
    if (item.type == Item::Type::kText && has_words(item.text)) runs.push_back(item.text);
  }
  return runs;
}

void MarkupDocument::fill_runs(size_t unit, const std::vector<std::string>& translations) {
  Unit& u = units_[unit];
  std::string out;
  size_t next = 0;
  for (const auto& item : u.items) {
    if (item.type != Item::Type::kText) {
      out += item.raw;
    } else if (has_words(item.text) && next < translations.size()) {
      out += escape_markup_text(translations[next++]);
    } else {
      out += item.raw;
    }
  }
  u.translation = std::move(out);
  u.filled = true;
}

std::string MarkupDocument::render() const {
  std::string out;
  for (const auto& piece : pieces_) {
    if (!piece.is_unit) {
      out += piece.verbatim;
      continue;
    }
    const Unit& u = units_[piece.unit];
    if (u.filled) {
      out += u.translation;
    } else {
      for (const auto& item : u.items) out += item.raw;
    }
  }
  return out;
}

std::vector<std::string> MarkupDocument::skeleton(std::string_view text,
                                                  const MarkupOptions& options) {
  std::vector<std::string> out;
  for (const auto& t : tokenize(text, options.kind == MarkupKind::kHtml)) {
    if (t.kind != Token::Kind::kText && t.kind != Token::Kind::kEscape) {
      out.emplace_back(t.bytes);
    }
  }
  return out;
}

}  // namespace dsinfer::translate
