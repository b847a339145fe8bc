// Evaluator of the chat-template renderer: runs a parsed template against global variables and
// returns the rendered text, following the reference renderer's (@huggingface/jinja) semantics.
#pragma once

#include <string>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_value.h"

namespace dsinfer::tokenizer::jinja {

// Renders `program` with `globals` (e.g. messages, add_generation_prompt, bos_token) on top of
// the built-ins (namespace, range, raise_exception, true/false/none). The result marks the bytes
// that came from caller strings in `globals` (Value::untrusted), however the template combined
// them. Throws Error(kInvalidInput) for runtime errors and for raise_exception() calls (message
// included). Thread-safe for concurrent calls on the same program.
MarkedText render(const NodeList& program, const ObjectEntries& globals);

// Built-ins shared by the evaluator (jinja_builtins.cpp).
[[noreturn]] void runtime_error(const std::string& what);
// Attribute or method `name` of `object` (string/array/object methods); undefined when none.
Value builtin_member(const Value& object, const std::string& name);
// Applies the filter `name` with call arguments (empty for the bare `| name` form).
Value apply_filter(const Value& operand, const std::string& name, const ValueList& args,
                   const Kwargs& kwargs, bool called);
// Evaluates the test `name` (`x is name`).
bool apply_test(const Value& operand, const std::string& name);
// Length of a string as the reference counts it (UTF-16 code units).
int64_t js_length(const std::string& s);
// First occurrence of `needle` in `haystack` at or after `from` (npos when none), in time linear
// in the lengths (a template may search long caller text for long patterns).
size_t find_text(std::string_view haystack, std::string_view needle, size_t from = 0);

}  // namespace dsinfer::tokenizer::jinja
