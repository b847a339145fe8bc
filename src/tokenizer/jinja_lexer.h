// Lexer of the chat-template renderer: template text -> tokens, with the block whitespace rules
// of the Hugging Face chat-template environment (trim_blocks, lstrip_blocks, "-" markers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::tokenizer::jinja {

enum class TokenKind {
  kText,
  kNumber,
  kString,
  kIdentifier,
  kEquals,
  kOpenParen,
  kCloseParen,
  kOpenStatement,
  kCloseStatement,
  kOpenExpression,
  kCloseExpression,
  kOpenSquare,
  kCloseSquare,
  kOpenCurly,
  kCloseCurly,
  kComma,
  kDot,
  kColon,
  kPipe,
  kAdditive,        // + - ~
  kMultiplicative,  // * / // %
  kPower,           // **
  kComparison,      // < > <= >= == !=
  kUnary,           // a sign not followed by digits
  kComment,
};

struct Token {
  TokenKind kind;
  std::string value;
};

// Tokenizes `source`. Throws Error(kInvalidInput) with the byte offset for malformed templates.
std::vector<Token> lex(std::string_view source);

}  // namespace dsinfer::tokenizer::jinja
