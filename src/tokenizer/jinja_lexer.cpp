// Chat-template lexer (see jinja_lexer.h). Mirrors the behaviour of the reference renderer
// (@huggingface/jinja), which tests compare against byte for byte.
#include "tokenizer/jinja_lexer.h"

#include <array>
#include <cctype>

#include "base/error.h"
#include "tokenizer/jinja_value.h"
#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer::jinja {

namespace {

// NOTE: the chat-template environment preprocesses the source before lexing: one trailing
// newline is dropped; lstrip_blocks removes spaces/tabs between a line start and "{%", "{#" or
// "{-"; trim_blocks removes the newline right after "%}", "#}" or "-}".
std::string preprocess(std::string_view src) {
  if (!src.empty() && src.back() == '\n') src.remove_suffix(1);
  std::string lstripped;
  lstripped.reserve(src.size());
  bool line_start = true;
  for (size_t i = 0; i < src.size();) {
    if (line_start) {
      size_t j = i;
      while (j < src.size() && (src[j] == ' ' || src[j] == '\t')) ++j;
      if (j + 1 < src.size() && src[j] == '{' &&
          (src[j + 1] == '#' || src[j + 1] == '%' || src[j + 1] == '-')) {
        i = j;
      }
      line_start = false;
      continue;
    }
    const char c = src[i];
    lstripped += c;
    ++i;
    if (c == '\n' || c == '\r') {
      line_start = true;
    } else if (c == '\xE2' && i + 1 < src.size() && src[i] == '\x80' &&
               (src[i + 1] == '\xA8' || src[i + 1] == '\xA9')) {  // U+2028 / U+2029
      lstripped += src[i];
      lstripped += src[i + 1];
      i += 2;
      line_start = true;
    }
  }
  std::string out;
  out.reserve(lstripped.size());
  for (size_t i = 0; i < lstripped.size();) {
    if (i + 2 < lstripped.size() &&
        (lstripped[i] == '#' || lstripped[i] == '%' || lstripped[i] == '-') &&
        lstripped[i + 1] == '}' && lstripped[i + 2] == '\n') {
      out += lstripped[i];
      out += '}';
      i += 3;
      continue;
    }
    out += lstripped[i++];
  }
  return out;
}

bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Symbol {
  std::string_view text;
  TokenKind kind;
};
// Longest symbols first where one is a prefix of another, as in the reference.
constexpr std::array<Symbol, 26> kSymbols = {{
    {"{%", TokenKind::kOpenStatement},  {"%}", TokenKind::kCloseStatement},
    {"{{", TokenKind::kOpenExpression}, {"}}", TokenKind::kCloseExpression},
    {"(", TokenKind::kOpenParen},       {")", TokenKind::kCloseParen},
    {"{", TokenKind::kOpenCurly},       {"}", TokenKind::kCloseCurly},
    {"[", TokenKind::kOpenSquare},      {"]", TokenKind::kCloseSquare},
    {",", TokenKind::kComma},           {".", TokenKind::kDot},
    {":", TokenKind::kColon},           {"|", TokenKind::kPipe},
    {"<=", TokenKind::kComparison},     {">=", TokenKind::kComparison},
    {"==", TokenKind::kComparison},     {"!=", TokenKind::kComparison},
    {"<", TokenKind::kComparison},      {">", TokenKind::kComparison},
    {"+", TokenKind::kAdditive},        {"-", TokenKind::kAdditive},
    {"~", TokenKind::kAdditive},        {"**", TokenKind::kPower},
    {"*", TokenKind::kMultiplicative},  {"//", TokenKind::kMultiplicative},
}};

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      const TokenKind* last = tokens_.empty() ? nullptr : &tokens_.back().kind;
      if (last == nullptr || *last == TokenKind::kCloseStatement ||
          *last == TokenKind::kCloseExpression || *last == TokenKind::kComment) {
        std::string text;
        while (pos_ < src_.size() &&
               !(src_[pos_] == '{' && pos_ + 1 < src_.size() &&
                 (src_[pos_ + 1] == '%' || src_[pos_ + 1] == '{' || src_[pos_ + 1] == '#'))) {
          text += src_[pos_++];
        }
        if (!text.empty()) {
          tokens_.push_back({TokenKind::kText, std::move(text)});
          continue;
        }
      }
      if (starts_with("{#")) {
        comment();
        continue;
      }
      if (starts_with("{%-")) {
        strip_trailing_whitespace();
        tokens_.push_back({TokenKind::kOpenStatement, "{%"});
        pos_ += 3;
        continue;
      }
      if (starts_with("{{-")) {
        strip_trailing_whitespace();
        tokens_.push_back({TokenKind::kOpenExpression, "{{"});
        curly_depth_ = 0;
        pos_ += 3;
        continue;
      }
      skip_whitespace();
      if (pos_ >= src_.size()) break;
      if (starts_with("-%}")) {
        tokens_.push_back({TokenKind::kCloseStatement, "%}"});
        pos_ += 3;
        skip_whitespace();
        continue;
      }
      if (starts_with("-}}")) {
        tokens_.push_back({TokenKind::kCloseExpression, "}}"});
        pos_ += 3;
        skip_whitespace();
        continue;
      }
      const char c = src_[pos_];
      if ((c == '-' || c == '+') && sign_is_unary()) continue;
      if (symbol()) continue;
      if (c == '\'' || c == '"') {
        ++pos_;
        std::string value;
        while (true) {
          if (pos_ >= src_.size()) error("unterminated string literal");
          if (src_[pos_] == c) break;
          if (src_[pos_] == '\\') {
            escape(value);
          } else {
            value += src_[pos_++];
          }
        }
        ++pos_;
        tokens_.push_back({TokenKind::kString, std::move(value)});
        continue;
      }
      if (is_digit(c)) {
        std::string num = digits();
        const bool after_dot = !tokens_.empty() && tokens_.back().kind == TokenKind::kDot;
        if (!after_dot && pos_ + 1 < src_.size() && src_[pos_] == '.' && is_digit(src_[pos_ + 1])) {
          ++pos_;
          num += "." + digits();
        }
        tokens_.push_back({TokenKind::kNumber, std::move(num)});
        continue;
      }
      if (is_word(c)) {
        std::string word;
        while (pos_ < src_.size() && is_word(src_[pos_])) word += src_[pos_++];
        tokens_.push_back({TokenKind::kIdentifier, std::move(word)});
        continue;
      }
      error(fmt::format("unexpected character '{}'", c));
    }
    return std::move(tokens_);
  }

 private:
  bool starts_with(std::string_view s) const {
    return std::string_view(src_).substr(pos_, s.size()) == s;
  }
  [[noreturn]] void error(const std::string& what) const {
    fail(ErrorKind::kInvalidInput, "chat template: {} at offset {}", what, pos_);
  }

  void comment() {
    pos_ += 2;
    const bool strip_before = pos_ < src_.size() && src_[pos_] == '-';
    if (strip_before) ++pos_;
    std::string text;
    while (!(pos_ + 1 < src_.size() && src_[pos_] == '#' && src_[pos_ + 1] == '}')) {
      if (pos_ + 2 >= src_.size()) error("missing end of comment tag");
      text += src_[pos_++];
    }
    const bool strip_after = !text.empty() && text.back() == '-';
    if (strip_after) text.pop_back();
    if (strip_before) strip_trailing_whitespace();
    tokens_.push_back({TokenKind::kComment, std::move(text)});
    pos_ += 2;
    if (strip_after) skip_whitespace();
  }

  void strip_trailing_whitespace() {
    if (tokens_.empty() || tokens_.back().kind != TokenKind::kText) return;
    tokens_.back().value = js_trim(tokens_.back().value, false, true);
    if (tokens_.back().value.empty()) tokens_.pop_back();
  }

  void skip_whitespace() {
    while (pos_ < src_.size()) {
      size_t next = pos_;
      if (!is_js_space(utf8_next(src_, next))) break;
      pos_ = next;
    }
  }

  std::string digits() {
    std::string s;
    while (pos_ < src_.size() && is_digit(src_[pos_])) s += src_[pos_++];
    return s;
  }

  // A sign after an operand is a binary operator (handled by symbol()); elsewhere it is a
  // unary operator or part of a negative number literal.
  bool sign_is_unary() {
    if (tokens_.empty() || tokens_.back().kind == TokenKind::kText) {
      error(fmt::format("unexpected character '{}'", src_[pos_]));
    }
    switch (tokens_.back().kind) {
      case TokenKind::kIdentifier:
      case TokenKind::kNumber:
      case TokenKind::kString:
      case TokenKind::kCloseParen:
      case TokenKind::kCloseSquare:
        return false;
      default:
        break;
    }
    const char sign = src_[pos_++];
    std::string num = digits();
    if (!num.empty() && pos_ + 1 < src_.size() && src_[pos_] == '.' && is_digit(src_[pos_ + 1])) {
      ++pos_;
      num += "." + digits();
    }
    tokens_.push_back(
        {num.empty() ? TokenKind::kUnary : TokenKind::kNumber, std::string(1, sign) + num});
    return true;
  }

  bool symbol() {
    for (const Symbol& s : kSymbols) {
      if (s.text == "}}" && curly_depth_ > 0) continue;
      if (!starts_with(s.text)) continue;
      // "**" and "//" must win over "*" and "/" (they come later in the table).
      if ((s.text == "*" && starts_with("**")) || (s.text == "/" && starts_with("//"))) continue;
      tokens_.push_back({s.kind, std::string(s.text)});
      if (s.kind == TokenKind::kOpenExpression) curly_depth_ = 0;
      if (s.kind == TokenKind::kOpenCurly) ++curly_depth_;
      if (s.kind == TokenKind::kCloseCurly) --curly_depth_;
      pos_ += s.text.size();
      return true;
    }
    for (std::string_view s : {"/", "%", "="}) {
      if (starts_with(s)) {
        const TokenKind kind = s == "=" ? TokenKind::kEquals : TokenKind::kMultiplicative;
        tokens_.push_back({kind, std::string(s)});
        pos_ += 1;
        return true;
      }
    }
    return false;
  }

  void escape(std::string& out) {
    ++pos_;
    if (pos_ >= src_.size()) error("unexpected end of input");
    const char e = src_[pos_++];
    if (e == 'x' || e == 'u') {
      const size_t len = e == 'x' ? 2 : 4;
      if (pos_ + len > src_.size()) error("invalid hexadecimal escape sequence");
      uint32_t cp = 0;
      for (size_t i = 0; i < len; ++i) {
        const char h = src_[pos_ + i];
        if (!std::isxdigit(static_cast<unsigned char>(h))) {
          error("invalid hexadecimal escape sequence");
        }
        cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                 ? h - '0'
                                                 : (std::tolower(h) - 'a' + 10));
      }
      pos_ += len;
      utf8_append(cp, out);
      return;
    }
    switch (e) {
      case 'n':
        out += '\n';
        return;
      case 't':
        out += '\t';
        return;
      case 'r':
        out += '\r';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'v':
        out += '\v';
        return;
      case '\'':
      case '"':
      case '\\':
        out += e;
        return;
      default:
        error(fmt::format("unexpected escaped character '{}'", e));
    }
  }

  std::string src_;
  size_t pos_ = 0;
  int curly_depth_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex(std::string_view source) { return Lexer(preprocess(source)).run(); }

}  // namespace dsinfer::tokenizer::jinja
