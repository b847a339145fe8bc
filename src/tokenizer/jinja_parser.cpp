// Chat-template parser (see jinja_parser.h). Precedence, loosest first: conditional
// expression, or, and, not, comparisons/in, + - ~, * / // %, **, is-tests, filters, unary sign,
// calls/members, primaries (the reference renderer's grammar).
#include "tokenizer/jinja_parser.h"

#include <cstdlib>
#include <initializer_list>

#include "base/error.h"
#include "tokenizer/jinja_lexer.h"
#include "tokenizer/jinja_limits.h"

namespace dsinfer::tokenizer::jinja {

namespace {

NodePtr node(NodeKind kind) { return std::make_unique<Node>(kind); }

// NOTE: chains (`a ~ b ~ c`, `x|e|e`, `o.a.b`, `f()()`) are built by loops, not recursion, so the
// recursion guard below does not bound them; the height of every finished node is checked here
// instead, which keeps the evaluator's recursion and the tree's destruction shallow.
NodePtr sealed(NodePtr n) {
  int height = 0;
  for (const NodeList* list : {&n->a, &n->body, &n->alternate}) {
    for (const NodePtr& child : *list) {
      if (child) height = std::max(height, child->height);
    }
  }
  n->height = height + 1;
  if (n->height > kMaxNesting) {
    limit_exceeded(
        fmt::format("expressions or statements nested deeper than {} levels (each "
                    "operator of a chain, filter, test, member access and call counts)",
                    kMaxNesting));
  }
  return n;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  NodeList run() {
    NodeList program;
    while (pos_ < tokens_.size()) program.push_back(any());
    return program;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail(ErrorKind::kInvalidInput, "chat template: {} (token {})", what, pos_);
  }
  bool is(TokenKind k, size_t ahead = 0) const {
    return pos_ + ahead < tokens_.size() && tokens_[pos_ + ahead].kind == k;
  }
  bool is_name(std::string_view name, size_t ahead = 0) const {
    return is(TokenKind::kIdentifier, ahead) && tokens_[pos_ + ahead].value == name;
  }
  bool is_statement(std::initializer_list<std::string_view> names) const {
    if (!is(TokenKind::kOpenStatement) || !is(TokenKind::kIdentifier, 1)) return false;
    for (std::string_view n : names) {
      if (tokens_[pos_ + 1].value == n) return true;
    }
    return false;
  }
  const Token& expect(TokenKind k, const char* what) {
    if (!is(k)) error(std::string("expected ") + what);
    return tokens_[pos_++];
  }
  void expect_name(std::string_view name) {
    if (!is_name(name)) error("expected '" + std::string(name) + "'");
    ++pos_;
  }
  void expect_end_tag(std::string_view name) {
    expect(TokenKind::kOpenStatement, "{%");
    expect_name(name);
    expect(TokenKind::kCloseStatement, "%}");
  }
  // Statements up to (not including) one of the given tags.
  NodeList block(std::initializer_list<std::string_view> ends) {
    NodeList out;
    while (!is_statement(ends)) {
      if (pos_ >= tokens_.size()) error("unexpected end of template (missing end tag)");
      out.push_back(any());
    }
    return out;
  }

  NodePtr any() {
    const Token& t = tokens_[pos_];
    switch (t.kind) {
      case TokenKind::kComment:
        ++pos_;
        return node(NodeKind::kComment);
      case TokenKind::kText: {
        auto n = node(NodeKind::kText);
        n->str = tokens_[pos_++].value;
        return n;
      }
      case TokenKind::kOpenStatement:
        return statement();
      case TokenKind::kOpenExpression: {
        ++pos_;
        auto n = node(NodeKind::kOutput);
        n->a.push_back(expression());
        expect(TokenKind::kCloseExpression, "}}");
        return sealed(std::move(n));
      }
      default:
        error("unexpected token '" + t.value + "'");
    }
  }

  NodePtr statement() {
    const DepthGuard guard(*this);
    expect(TokenKind::kOpenStatement, "{%");
    if (!is(TokenKind::kIdentifier)) error("expected a statement name");
    const std::string name = tokens_[pos_++].value;
    if (name == "set") return set_statement();
    if (name == "if") {
      auto n = if_statement();
      expect_end_tag("endif");
      return n;  // sealed by if_statement
    }
    if (name == "for") {
      auto n = for_statement();
      expect_end_tag("endfor");
      return n;  // sealed by for_statement
    }
    if (name == "break" || name == "continue") {
      expect(TokenKind::kCloseStatement, "%}");
      return node(name == "break" ? NodeKind::kBreak : NodeKind::kContinue);
    }
    error("unsupported statement '" + name + "'");
  }

  NodePtr set_statement() {
    auto n = node(NodeKind::kSet);
    n->a.push_back(sequence(false));
    if (is(TokenKind::kEquals)) {
      ++pos_;
      n->a.push_back(sequence(false));
    } else {
      expect(TokenKind::kCloseStatement, "%}");
      n->body = block({"endset"});
      expect(TokenKind::kOpenStatement, "{%");
      expect_name("endset");
    }
    expect(TokenKind::kCloseStatement, "%}");
    return sealed(std::move(n));
  }

  NodePtr if_statement() {
    const DepthGuard guard(*this);  // an elif chain nests
    auto n = node(NodeKind::kIf);
    n->a.push_back(expression());
    expect(TokenKind::kCloseStatement, "%}");
    n->body = block({"elif", "else", "endif"});
    if (is_statement({"elif"})) {
      pos_ += 2;
      n->alternate.push_back(if_statement());
    } else if (is_statement({"else"})) {
      pos_ += 2;
      expect(TokenKind::kCloseStatement, "%}");
      n->alternate = block({"endif"});
    }
    return sealed(std::move(n));
  }

  NodePtr for_statement() {
    auto n = node(NodeKind::kFor);
    n->a.push_back(sequence(true));
    if (n->a[0]->kind != NodeKind::kName && n->a[0]->kind != NodeKind::kTuple) {
      error("expected a name or a tuple as the loop variable");
    }
    expect_name("in");
    n->a.push_back(expression());
    expect(TokenKind::kCloseStatement, "%}");
    n->body = block({"endfor", "else"});
    if (is_statement({"else"})) {
      pos_ += 2;
      expect(TokenKind::kCloseStatement, "%}");
      n->alternate = block({"endfor"});
    }
    return sealed(std::move(n));
  }

  // expr (, expr)* -> a tuple when there is a comma.
  NodePtr sequence(bool primary_only) {
    NodeList items;
    items.push_back(primary_only ? primary() : expression());
    const bool tuple = is(TokenKind::kComma);
    while (tuple) {
      ++pos_;
      items.push_back(primary_only ? primary() : expression());
      if (!is(TokenKind::kComma)) break;
    }
    if (!tuple) return std::move(items[0]);
    auto n = node(NodeKind::kTuple);
    n->a = std::move(items);
    return sealed(std::move(n));
  }

  NodePtr expression() {
    const DepthGuard guard(*this);
    auto value = logical_or();
    if (!is_name("if")) return value;
    ++pos_;
    auto test = logical_or();
    if (is_name("else")) {
      ++pos_;
      auto n = node(NodeKind::kTernary);
      n->a.push_back(std::move(test));
      n->a.push_back(std::move(value));
      n->a.push_back(expression());
      return sealed(std::move(n));
    }
    auto n = node(NodeKind::kSelect);
    n->a.push_back(std::move(value));
    n->a.push_back(std::move(test));
    return sealed(std::move(n));
  }

  NodePtr binary(std::string op, NodePtr left, NodePtr right) {
    auto n = node(NodeKind::kBinary);
    n->str = std::move(op);
    n->a.push_back(std::move(left));
    n->a.push_back(std::move(right));
    return sealed(std::move(n));
  }

  NodePtr logical_or() {
    auto left = logical_and();
    while (is_name("or")) {
      ++pos_;
      left = binary("or", std::move(left), logical_and());
    }
    return left;
  }

  NodePtr logical_and() {
    auto left = logical_not();
    while (is_name("and")) {
      ++pos_;
      left = binary("and", std::move(left), logical_not());
    }
    return left;
  }

  NodePtr logical_not() {
    const DepthGuard guard(*this);
    if (is_name("not")) {
      ++pos_;
      auto n = node(NodeKind::kUnary);
      n->str = "not";
      n->a.push_back(logical_not());
      return sealed(std::move(n));
    }
    return comparison();
  }

  NodePtr comparison() {
    auto left = additive();
    while (true) {
      std::string op;
      if (is_name("not") && is_name("in", 1)) {
        op = "not in";
        pos_ += 2;
      } else if (is_name("in")) {
        op = "in";
        ++pos_;
      } else if (is(TokenKind::kComparison)) {
        op = tokens_[pos_++].value;
      } else {
        break;
      }
      left = binary(op, std::move(left), additive());
    }
    return left;
  }

  NodePtr additive() {
    auto left = multiplicative();
    while (is(TokenKind::kAdditive)) {
      const std::string op = tokens_[pos_++].value;
      left = binary(op, std::move(left), multiplicative());
    }
    return left;
  }

  NodePtr multiplicative() {
    auto left = power();
    while (is(TokenKind::kMultiplicative)) {
      const std::string op = tokens_[pos_++].value;
      left = binary(op, std::move(left), power());
    }
    return left;
  }

  NodePtr power() {
    auto left = test();
    while (is(TokenKind::kPower)) {
      ++pos_;
      left = binary("**", std::move(left), test());
    }
    return left;
  }

  NodePtr test() {
    auto operand = filter();
    while (is_name("is")) {
      ++pos_;
      const bool negate = is_name("not");
      if (negate) ++pos_;
      auto name = primary();
      if (name->kind != NodeKind::kName) error("expected a test name after 'is'");
      auto n = node(NodeKind::kTest);
      n->str = name->str;
      n->negate = negate;
      n->a.push_back(std::move(operand));
      operand = sealed(std::move(n));
    }
    return operand;
  }

  NodePtr filter() {
    auto operand = unary_sign();
    while (is(TokenKind::kPipe)) {
      ++pos_;
      auto f = primary();
      if (f->kind != NodeKind::kName) error("expected a filter name after '|'");
      if (is(TokenKind::kOpenParen)) f = call(std::move(f));
      auto n = node(NodeKind::kFilter);
      n->a.push_back(std::move(operand));
      n->a.push_back(std::move(f));
      operand = sealed(std::move(n));
    }
    return operand;
  }

  NodePtr unary_sign() {
    const DepthGuard guard(*this);
    if ((is(TokenKind::kUnary) || is(TokenKind::kAdditive)) &&
        (tokens_[pos_].value == "-" || tokens_[pos_].value == "+")) {
      auto n = node(NodeKind::kUnary);
      n->str = tokens_[pos_++].value;
      n->a.push_back(unary_sign());
      return sealed(std::move(n));
    }
    auto m = member(primary());
    if (is(TokenKind::kOpenParen)) return call(std::move(m));
    return m;
  }

  // callee(args), then any member accesses and further calls (a loop: `f()()()` is a chain).
  NodePtr call(NodePtr callee) {
    NodePtr result = member(call_once(std::move(callee)));
    while (is(TokenKind::kOpenParen)) result = member(call_once(std::move(result)));
    return result;
  }

  NodePtr call_once(NodePtr callee) {
    auto n = node(NodeKind::kCall);
    n->a.push_back(std::move(callee));
    expect(TokenKind::kOpenParen, "(");
    while (!is(TokenKind::kCloseParen)) {
      if (pos_ >= tokens_.size()) error("unterminated argument list");
      auto arg = expression();
      if (is(TokenKind::kEquals)) {
        ++pos_;
        if (arg->kind != NodeKind::kName) error("expected a name for a keyword argument");
        auto kw = node(NodeKind::kKeyword);
        kw->str = arg->str;
        kw->a.push_back(expression());
        arg = sealed(std::move(kw));
      }
      n->a.push_back(std::move(arg));
      if (is(TokenKind::kComma)) ++pos_;
    }
    ++pos_;
    return sealed(std::move(n));
  }

  NodePtr member(NodePtr object) {
    while (is(TokenKind::kDot) || is(TokenKind::kOpenSquare)) {
      const bool computed = is(TokenKind::kOpenSquare);
      ++pos_;
      auto n = node(NodeKind::kMember);
      n->computed = computed;
      n->a.push_back(std::move(object));
      if (computed) {
        n->a.push_back(subscript());
        expect(TokenKind::kCloseSquare, "]");
      } else {
        auto prop = primary();
        if (prop->kind != NodeKind::kName && prop->kind != NodeKind::kInteger) {
          error("expected a name or an integer after '.'");
        }
        n->a.push_back(std::move(prop));
      }
      object = sealed(std::move(n));
    }
    return object;
  }

  NodePtr subscript() {
    NodeList parts;
    bool slice = false;
    while (!is(TokenKind::kCloseSquare)) {
      if (pos_ >= tokens_.size()) error("unterminated subscript");
      if (is(TokenKind::kColon)) {
        parts.push_back(nullptr);
        ++pos_;
        slice = true;
      } else {
        parts.push_back(expression());
        if (is(TokenKind::kColon)) {
          ++pos_;
          slice = true;
        }
      }
    }
    if (parts.empty()) error("empty subscript");
    if (!slice) return std::move(parts[0]);
    if (parts.size() > 3) error("a slice takes at most 3 parts");
    auto n = node(NodeKind::kSlice);
    parts.resize(3);
    n->a = std::move(parts);
    return sealed(std::move(n));
  }

  NodePtr primary() {
    if (pos_ >= tokens_.size()) error("unexpected end of template");
    const Token& t = tokens_[pos_++];
    switch (t.kind) {
      case TokenKind::kNumber: {
        if (t.value.find('.') != std::string::npos) {
          auto n = node(NodeKind::kFloat);
          n->number = std::strtod(t.value.c_str(), nullptr);
          return n;
        }
        auto n = node(NodeKind::kInteger);
        n->integer = std::strtoll(t.value.c_str(), nullptr, 10);
        return n;
      }
      case TokenKind::kString: {
        auto n = node(NodeKind::kString);
        n->str = t.value;
        while (is(TokenKind::kString)) n->str += tokens_[pos_++].value;
        return n;
      }
      case TokenKind::kIdentifier: {
        auto n = node(NodeKind::kName);
        n->str = t.value;
        return n;
      }
      case TokenKind::kOpenParen: {
        auto n = sequence(false);
        expect(TokenKind::kCloseParen, ")");
        return n;
      }
      case TokenKind::kOpenSquare: {
        auto n = node(NodeKind::kArray);
        while (!is(TokenKind::kCloseSquare)) {
          if (pos_ >= tokens_.size()) error("unterminated list");
          n->a.push_back(expression());
          if (is(TokenKind::kComma)) ++pos_;
        }
        ++pos_;
        return sealed(std::move(n));
      }
      case TokenKind::kOpenCurly: {
        auto n = node(NodeKind::kObject);
        while (!is(TokenKind::kCloseCurly)) {
          if (pos_ >= tokens_.size()) error("unterminated mapping");
          n->a.push_back(expression());
          expect(TokenKind::kColon, ":");
          n->a.push_back(expression());
          if (is(TokenKind::kComma)) ++pos_;
        }
        ++pos_;
        return sealed(std::move(n));
      }
      default:
        error("unexpected token '" + t.value + "'");
    }
  }

  // Bounds recursion on hostile input ("((((..." or "not not not ...").
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxDepth) {
        limit_exceeded(
            fmt::format("nested deeper than {} levels (token {})", kMaxDepth, parser.pos_));
      }
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };
  static constexpr int kMaxDepth = 200;

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

NodeList parse_template(std::string_view source) {
  if (source.size() > kMaxTemplateBytes) {
    limit_exceeded(fmt::format("the template is {} bytes; at most {} are accepted", source.size(),
                               kMaxTemplateBytes));
  }
  return Parser(lex(source)).run();
}

}  // namespace dsinfer::tokenizer::jinja
