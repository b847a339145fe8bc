// Parser of the chat-template renderer: tokens -> syntax tree, with the reference renderer's
// operator precedence. Unsupported constructs (macros, call blocks, filter blocks) are errors.
#pragma once

#include <string_view>

#include "tokenizer/jinja_ast.h"

namespace dsinfer::tokenizer::jinja {

// Parses a whole template into its top-level statements. Throws Error(kInvalidInput) naming
// the problem for malformed or unsupported templates.
NodeList parse_template(std::string_view source);

}  // namespace dsinfer::tokenizer::jinja
