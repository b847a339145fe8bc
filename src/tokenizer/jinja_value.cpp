// Runtime values of the chat-template renderer (see jinja_value.h).
#include "tokenizer/jinja_value.h"

#include <cmath>

#include <fmt/format.h>

#include "base/json_escape.h"
#include "tokenizer/jinja_limits.h"
#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer::jinja {

Value Value::make(ValueKind kind) {
  Value v;
  v.kind = kind;
  return v;
}
Value Value::from_bool(bool b) {
  Value v = make(ValueKind::kBool);
  v.boolean = b;
  return v;
}
Value Value::from_int(int64_t i) {
  Value v = make(ValueKind::kInt);
  v.integer = i;
  return v;
}
Value Value::from_float(double d) {
  Value v = make(ValueKind::kFloat);
  v.number = d;
  return v;
}
namespace {

void check_items(size_t n) {
  if (n > kMaxArrayItems) {
    limit_exceeded(fmt::format("an array or mapping of {} items (at most {})", n, kMaxArrayItems));
  }
}

}  // namespace

void Value::contain(const Value& item) {
  if (kind == ValueKind::kNamespace && (item.is(ValueKind::kNamespace) || item.holds_namespace)) {
    limit_exceeded("a namespace cannot hold a namespace (it could come to refer to itself)");
  }
  holds_namespace = holds_namespace || item.is(ValueKind::kNamespace) || item.holds_namespace;
  depth = std::max(depth, item.depth + 1);
  if (depth > kMaxValueDepth) {
    limit_exceeded(fmt::format("values nested deeper than {} levels", kMaxValueDepth));
  }
}

Value Value::from_string(std::string s) {
  if (s.size() > kMaxStringBytes) {
    limit_exceeded(fmt::format("a string of {} bytes (at most {})", s.size(), kMaxStringBytes));
  }
  Value v = make(ValueKind::kString);
  v.string = std::move(s);
  return v;
}
Value Value::from_string(std::string s, ByteRanges untrusted) {
  Value v = from_string(std::move(s));
  v.untrusted = std::move(untrusted);
  return v;
}
Value Value::from_caller(std::string s) {
  return from_marked(MarkedText::from_caller(std::move(s)));
}
Value Value::from_array(ValueList items) {
  check_items(items.size());
  Value v = make(ValueKind::kArray);
  v.depth = 1;
  for (const Value& item : items) v.contain(item);
  v.array = std::make_shared<ValueList>(std::move(items));
  return v;
}
Value Value::from_object(ObjectEntries entries) {
  check_items(entries.size());
  Value v = make(ValueKind::kObject);
  v.depth = 1;
  for (const auto& [k, item] : entries) v.contain(item);
  v.object = std::make_shared<ObjectEntries>(std::move(entries));
  return v;
}
Value Value::from_namespace(ObjectEntries entries) {
  check_items(entries.size());
  Value v = make(ValueKind::kNamespace);
  v.depth = 1;
  for (const auto& [k, item] : entries) v.contain(item);
  v.object = std::make_shared<ObjectEntries>(std::move(entries));
  return v;
}
Value Value::from_function(Function fn) {
  Value v = make(ValueKind::kFunction);
  v.function = std::make_shared<Function>(std::move(fn));
  return v;
}

const Value* Value::find(std::string_view key) const {
  if (!object) return nullptr;
  for (const auto& [k, v] : *object) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Value::set(const std::string& key, Value v) {
  contain(v);
  for (auto& [k, existing] : *object) {
    if (k == key) {
      existing = std::move(v);
      return;
    }
  }
  check_items(object->size() + 1);
  object->emplace_back(key, std::move(v));
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return false;
    case ValueKind::kBool:
      return v.boolean;
    case ValueKind::kInt:
      return v.integer != 0;
    case ValueKind::kFloat:
      return v.number != 0 && !std::isnan(v.number);
    case ValueKind::kString:
      return !v.string.empty();
    case ValueKind::kArray:
      return !v.array->empty();
    case ValueKind::kObject:
      return !v.object->empty();
    case ValueKind::kNamespace:
    case ValueKind::kFunction:
      return true;
  }
  return false;
}

namespace {

std::string number_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", d);
}

std::string float_output(double d) {
  if (d == 0 && std::signbit(d)) return "-0.0";
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e21) {
    return fmt::format("{:.1f}", d);
  }
  return number_text(d);
}

void json_string(std::string_view s, std::string& out) {
  out += '"';
  append_json_escaped(s, out);
  out += '"';
}

// A JSON string of `s`; when `from_caller`, the whole quoted string is marked as caller text.
void marked_json_string(std::string_view s, bool from_caller, MarkedText& out) {
  const size_t begin = out.text.size();
  json_string(s, out.text);
  if (from_caller) append_ranges(out.untrusted, {{begin, out.text.size()}}, 0);
}

// NOTE: `level` guards the recursion even though values cannot refer to themselves (see
// Value::contain): a shared namespace may have grown deeper after an array took it in, so the
// bound is twice the value depth. The output is bounded like every string.
void json_value(const Value& v, std::string_view undefined_text, MarkedText& marked, int level) {
  if (level > 2 * kMaxValueDepth + 1) {
    limit_exceeded("a value refers to itself or is nested too deeply to print");
  }
  std::string& out = marked.text;
  if (out.size() > kMaxStringBytes) {
    limit_exceeded(fmt::format("printing a value of more than {} bytes", kMaxStringBytes));
  }
  switch (v.kind) {
    case ValueKind::kUndefined:
      out += undefined_text;
      return;
    case ValueKind::kNone:
      out += "null";
      return;
    case ValueKind::kBool:
      out += v.boolean ? "true" : "false";
      return;
    case ValueKind::kInt:
      out += std::to_string(v.integer);
      return;
    case ValueKind::kFloat:
      out += std::isfinite(v.number) ? number_text(v.number) : "null";
      return;
    case ValueKind::kString:
      marked_json_string(v.string, !v.untrusted.empty(), marked);
      return;
    case ValueKind::kArray: {
      out += '[';
      bool first = true;
      for (const auto& item : *v.array) {
        if (!first) out += ", ";
        first = false;
        json_value(item, undefined_text, marked, level + 1);
      }
      out += ']';
      return;
    }
    case ValueKind::kObject:
    case ValueKind::kNamespace: {
      out += '{';
      bool first = true;
      for (const auto& [k, item] : *v.object) {
        if (!first) out += ", ";
        first = false;
        marked_json_string(k, v.caller_keys, marked);
        out += ": ";
        json_value(item, undefined_text, marked, level + 1);
      }
      out += '}';
      return;
    }
    case ValueKind::kFunction:
      out += "null";
      return;
  }
}

}  // namespace

MarkedText to_marked_json(const Value& v, std::string_view undefined_text) {
  MarkedText out;
  json_value(v, undefined_text, out, 0);
  if (out.text.size() > kMaxStringBytes) {
    limit_exceeded(fmt::format("printing a value of more than {} bytes", kMaxStringBytes));
  }
  return out;
}

std::string to_json(const Value& v, std::string_view undefined_text) {
  return to_marked_json(v, undefined_text).text;
}

MarkedText to_marked_output(const Value& v) {
  switch (v.kind) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return {};
    case ValueKind::kBool:
      return MarkedText::trusted(v.boolean ? "true" : "false");
    case ValueKind::kInt:
      return MarkedText::trusted(std::to_string(v.integer));
    case ValueKind::kFloat:
      return MarkedText::trusted(float_output(v.number));
    case ValueKind::kString:
      return MarkedText{v.string, v.untrusted};
    case ValueKind::kArray:
    case ValueKind::kObject:
    case ValueKind::kNamespace:
      return to_marked_json(v, "undefined");
    case ValueKind::kFunction:
      return MarkedText::trusted("[function]");
  }
  return {};
}

std::string to_output(const Value& v) {
  if (v.is(ValueKind::kString)) return v.string;
  return to_marked_output(v).text;
}

Value substring(const Value& s, size_t begin, size_t end) {
  return Value::from_string(s.string.substr(begin, end - begin),
                            slice_ranges(s.untrusted, begin, end));
}

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kUndefined:
      return "undefined";
    case ValueKind::kNone:
      return "none";
    case ValueKind::kBool:
      return "boolean";
    case ValueKind::kInt:
      return "integer";
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kString:
      return "string";
    case ValueKind::kArray:
      return "array";
    case ValueKind::kObject:
      return "object";
    case ValueKind::kNamespace:
      return "namespace";
    case ValueKind::kFunction:
      return "function";
  }
  return "?";
}

namespace {
bool numeric(const Value& v, double& out) {
  if (v.kind == ValueKind::kInt) {
    out = static_cast<double>(v.integer);
  } else if (v.kind == ValueKind::kFloat) {
    out = v.number;
  } else if (v.kind == ValueKind::kBool) {
    out = v.boolean ? 1 : 0;
  } else {
    return false;
  }
  return true;
}
}  // namespace

bool loose_equal(const Value& a, const Value& b) {
  const bool a_nullish = a.kind == ValueKind::kUndefined || a.kind == ValueKind::kNone;
  const bool b_nullish = b.kind == ValueKind::kUndefined || b.kind == ValueKind::kNone;
  if (a_nullish || b_nullish) return a_nullish && b_nullish;
  double x = 0;
  double y = 0;
  if (numeric(a, x) && numeric(b, y)) return x == y;
  if (a.kind == ValueKind::kString && b.kind == ValueKind::kString) return a.string == b.string;
  return strict_equal(a, b);
}

bool strict_equal(const Value& a, const Value& b) {
  if (a.kind != b.kind) {
    return a.is_number() && b.is_number() &&
           (a.kind == ValueKind::kInt ? static_cast<double>(a.integer) : a.number) ==
               (b.kind == ValueKind::kInt ? static_cast<double>(b.integer) : b.number);
  }
  switch (a.kind) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return true;
    case ValueKind::kBool:
      return a.boolean == b.boolean;
    case ValueKind::kInt:
      return a.integer == b.integer;
    case ValueKind::kFloat:
      return a.number == b.number;
    case ValueKind::kString:
      return a.string == b.string;
    case ValueKind::kArray:
      return a.array == b.array;
    case ValueKind::kObject:
    case ValueKind::kNamespace:
      return a.object == b.object;
    case ValueKind::kFunction:
      return a.function == b.function;
  }
  return false;
}

bool is_js_space(uint32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string js_trim(std::string_view s, bool left, bool right) {
  const auto [begin, end] = js_trim_bounds(s, left, right);
  return std::string(s.substr(begin, end - begin));
}

std::pair<size_t, size_t> js_trim_bounds(std::string_view s, bool left, bool right) {
  size_t begin = 0;
  size_t end = s.size();
  if (left) {
    while (begin < end) {
      size_t next = begin;
      if (!is_js_space(utf8_next(s, next))) break;
      begin = next;
    }
  }
  if (right) {
    while (end > begin) {
      size_t start = end - 1;
      while (start > begin && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
      size_t next = start;
      if (!is_js_space(utf8_next(s, next)) || next != end) break;
      end = start;
    }
  }
  return {begin, end};
}

}  // namespace dsinfer::tokenizer::jinja
