// Runtime values of the chat-template renderer (a Jinja subset): undefined, none, booleans,
// numbers, strings, arrays, ordered objects, namespaces and built-in functions. Strings carry
// which of their bytes came from the caller (see marked_text.h), through every operation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/marked_text.h"

namespace dsinfer::tokenizer::jinja {

enum class ValueKind {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kArray,
  kObject,
  kNamespace,
  kFunction,
};

struct Value;
using ValueList = std::vector<Value>;
using ObjectEntries = std::vector<std::pair<std::string, Value>>;  // insertion order
// Keyword arguments of a call, in call order.
using Kwargs = std::vector<std::pair<std::string, Value>>;
using Function = std::function<Value(const ValueList& args, const Kwargs& kwargs)>;

// A value. Arrays, objects and namespaces are shared by reference (a namespace assigned to two
// names is one namespace, as in Jinja). The factories and set() enforce jinja_limits.h (string
// bytes, items, nesting, no namespace inside a namespace) with TemplateLimitError.
struct Value {
  ValueKind kind = ValueKind::kUndefined;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string string;
  ByteRanges untrusted;      // strings: the bytes of `string` that came from the caller
  bool caller_keys = false;  // objects: the keys came from the caller
  // Containers: levels of arrays/objects inside (1 = flat), and whether a namespace is inside.
  // Arrays and objects are immutable once built, so both stay exact; a namespace can hold no
  // namespace (so no value can refer to itself).
  int depth = 0;
  bool holds_namespace = false;
  std::shared_ptr<ValueList> array;
  std::shared_ptr<ObjectEntries> object;  // objects and namespaces
  std::shared_ptr<Function> function;

  static Value none() { return make(ValueKind::kNone); }
  static Value from_bool(bool b);
  static Value from_int(int64_t i);
  static Value from_float(double d);
  static Value from_string(std::string s);  // template-owned text
  static Value from_string(std::string s, ByteRanges untrusted);
  static Value from_marked(MarkedText m) {
    return from_string(std::move(m.text), std::move(m.untrusted));
  }
  static Value from_caller(std::string s);  // text the caller supplied
  static Value from_array(ValueList items);
  static Value from_object(ObjectEntries entries);
  static Value from_namespace(ObjectEntries entries);
  static Value from_function(Function fn);
  static Value make(ValueKind kind);

  bool is(ValueKind k) const { return kind == k; }
  bool is_number() const { return kind == ValueKind::kInt || kind == ValueKind::kFloat; }
  // Member of an object or namespace; nullptr when absent (or not a mapping).
  const Value* find(std::string_view key) const;
  // Sets (or adds) a member of an object or namespace.
  void set(const std::string& key, Value v);

 private:
  // Takes `item` into this container's depth / namespace bookkeeping (checks the limits).
  void contain(const Value& item);
};

// Jinja truthiness (empty strings, arrays and objects are false; undefined and none are false).
bool truthy(const Value& v);
// Text of a value where the reference renderer prints it: booleans "true"/"false", integral
// floats with ".0", arrays/objects as JSON; undefined and none print as nothing.
std::string to_output(const Value& v);
// Same, keeping which bytes came from the caller (JSON: a caller string or key as a whole).
MarkedText to_marked_output(const Value& v);
// The reference's JSON form (", " and ": " separators; undefined as `undefined_text`).
std::string to_json(const Value& v, std::string_view undefined_text = "null");
MarkedText to_marked_json(const Value& v, std::string_view undefined_text = "null");
// The string bytes [begin, end) of `s` (a string value), with their caller marks.
Value substring(const Value& s, size_t begin, size_t end);
// Name of the kind, for error messages.
const char* kind_name(ValueKind kind);
// The reference's loose equality (`==`): numbers and booleans by value, none == undefined,
// strings by content, containers by identity.
bool loose_equal(const Value& a, const Value& b);
// Strict identity used by `in` on arrays.
bool strict_equal(const Value& a, const Value& b);

// Whitespace as JavaScript's String.prototype.trim sees it (the reference renderer's runtime).
bool is_js_space(uint32_t cp);
std::string js_trim(std::string_view s, bool left, bool right);
// [begin, end) of what js_trim keeps.
std::pair<size_t, size_t> js_trim_bounds(std::string_view s, bool left, bool right);

}  // namespace dsinfer::tokenizer::jinja
