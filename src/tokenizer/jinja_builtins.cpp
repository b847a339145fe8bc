// Filters, tests and methods of strings, arrays and objects for the chat-template renderer
// (see jinja_evaluator.h); semantics follow the reference renderer.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "base/error.h"
#include "tokenizer/jinja_evaluator.h"
#include "tokenizer/jinja_limits.h"
#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer::jinja {

namespace {

// Stops a builder (replace, join) before its output passes the string limit.
void check_growth(const MarkedText& out, const char* what) {
  if (out.text.size() > kMaxStringBytes) {
    limit_exceeded(
        fmt::format("{}() builds a string of more than {} bytes", what, kMaxStringBytes));
  }
}

std::string ascii_upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}
std::string ascii_lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}
bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
// JavaScript's value.replace(/\b\w/g, upper): the first word character after a non-word one.
std::string title_case(std::string s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (is_word_char(s[i]) && (i == 0 || !is_word_char(s[i - 1])) && s[i] >= 'a' && s[i] <= 'z') {
      s[i] = static_cast<char>(s[i] - 'a' + 'A');
    }
  }
  return s;
}

// Byte ranges [first, second) of the parts of `s` between occurrences of `sep`.
using Spans = std::vector<std::pair<size_t, size_t>>;
Spans split_on(const std::string& s, const std::string& sep) {
  Spans parts;
  size_t from = 0;
  while (true) {
    const size_t hit = find_text(s, sep, from);
    if (hit == std::string::npos) break;
    parts.emplace_back(from, hit);
    if (parts.size() > kMaxArrayItems) {
      limit_exceeded(fmt::format("split() into more than {} parts", kMaxArrayItems));
    }
    from = hit + sep.size();
  }
  parts.emplace_back(from, s.size());
  return parts;
}

Value string_list(const Value& s, const Spans& parts) {
  ValueList items;
  for (const auto& [begin, end] : parts) items.push_back(substring(s, begin, end));
  return Value::from_array(std::move(items));
}

Value split(const Value& value, const ValueList& args) {
  const std::string& s = value.string;
  const Value sep = args.empty() ? Value::none() : args[0];
  int64_t maxsplit = -1;
  if (args.size() > 1) {
    if (!args[1].is(ValueKind::kInt)) runtime_error("split(): maxsplit must be a number");
    maxsplit = args[1].integer;
  }
  Spans parts;
  if (sep.is(ValueKind::kNone)) {
    const size_t text_end = s.size();
    size_t pos = js_trim_bounds(s, true, false).first;
    while (pos < text_end) {
      size_t start = pos;
      while (start < text_end) {  // skip whitespace
        size_t next = start;
        if (!is_js_space(utf8_next(s, next))) break;
        start = next;
      }
      if (start >= text_end) break;
      size_t end = start;
      while (end < text_end) {
        size_t next = end;
        if (is_js_space(utf8_next(s, next))) break;
        end = next;
      }
      if (maxsplit != -1 && static_cast<int64_t>(parts.size()) >= maxsplit) {
        parts.emplace_back(start, text_end);
        break;
      }
      parts.emplace_back(start, end);
      if (parts.size() > kMaxArrayItems) {
        limit_exceeded(fmt::format("split() into more than {} parts", kMaxArrayItems));
      }
      pos = end;
    }
  } else if (sep.is(ValueKind::kString)) {
    if (sep.string.empty()) runtime_error("split(): empty separator");
    parts = split_on(s, sep.string);
    if (maxsplit != -1 && static_cast<int64_t>(parts.size()) > maxsplit) {
      // The rest, separators included, is one part: the text from the first part kept whole.
      const size_t rest_begin = parts[static_cast<size_t>(maxsplit)].first;
      parts.resize(static_cast<size_t>(maxsplit));
      parts.emplace_back(rest_begin, s.size());
    }
  } else {
    runtime_error("split(): sep must be a string or none");
  }
  return string_list(value, parts);
}

Value replace(const Value& value, const ValueList& args, const Kwargs& kwargs) {
  const std::string& s = value.string;
  if (args.size() < 2 || !args[0].is(ValueKind::kString) || !args[1].is(ValueKind::kString)) {
    runtime_error("replace() takes two string arguments");
  }
  int64_t count = -1;
  Value c = args.size() > 2 ? args[2] : Value::none();
  for (const auto& [k, v] : kwargs) {
    if (k == "count") c = v;
  }
  if (c.is(ValueKind::kInt)) count = c.integer;
  const std::string& from = args[0].string;
  const Value& to = args[1];
  MarkedText out;
  const auto keep = [&](size_t begin, size_t end) {  // a piece of the original
    out.append(std::string_view(s).substr(begin, end - begin),
               slice_ranges(value.untrusted, begin, end));
  };
  if (from.empty()) {  // insert `to` between characters (and at both ends), up to count times
    size_t pos = 0;
    int64_t done = 0;
    while (true) {
      if (count >= 0 && done >= count) {
        keep(pos, s.size());
        break;
      }
      out.append(to.string, to.untrusted);
      check_growth(out, "replace");
      ++done;
      if (pos >= s.size()) break;
      size_t next = pos;
      utf8_next(s, next);
      keep(pos, next);
      pos = next;
    }
    return Value::from_marked(std::move(out));
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    const size_t hit = find_text(s, from, pos);
    if (hit == std::string::npos) break;
    keep(pos, hit);
    out.append(to.string, to.untrusted);
    check_growth(out, "replace");
    pos = hit + from.size();
    ++done;
  }
  keep(pos, s.size());
  return Value::from_marked(std::move(out));
}

bool affix_match(const std::string& s, const Value& pattern, bool prefix) {
  const auto one = [&](const std::string& p) {
    if (p.size() > s.size()) return false;
    return prefix ? s.compare(0, p.size(), p) == 0
                  : s.compare(s.size() - p.size(), p.size(), p) == 0;
  };
  if (pattern.is(ValueKind::kString)) return one(pattern.string);
  if (pattern.is(ValueKind::kArray)) {
    for (const auto& item : *pattern.array) {
      if (!item.is(ValueKind::kString)) runtime_error("startswith()/endswith() need strings");
      if (one(item.string)) return true;
    }
    return false;
  }
  runtime_error("startswith()/endswith() argument must be a string or a tuple of strings");
}

Value method(Value receiver,
             std::function<Value(const Value&, const ValueList&, const Kwargs&)> fn) {
  return Value::from_function(
      [receiver = std::move(receiver), fn = std::move(fn)](
          const ValueList& args, const Kwargs& kwargs) { return fn(receiver, args, kwargs); });
}

// A key of object `o` as a string value (caller text when the object came from the caller).
Value key_value(const Value& o, const std::string& key) {
  return o.caller_keys ? Value::from_caller(key) : Value::from_string(key);
}

Value object_items(const Value& o) {
  ValueList items;
  for (const auto& [k, v] : *o.object) items.push_back(Value::from_array({key_value(o, k), v}));
  return Value::from_array(std::move(items));
}

}  // namespace

void runtime_error(const std::string& what) {
  fail(ErrorKind::kInvalidInput, "chat template: {}", what);
}

size_t find_text(std::string_view haystack, std::string_view needle, size_t from) {
  if (from > haystack.size()) return std::string_view::npos;
  // NOTE: std::string_view::find is O(n * m) on repetitive text; a short needle keeps that
  // bounded, a long one goes through Boyer-Moore (good-suffix rule: linear to the first match).
  if (needle.size() <= 16) return haystack.find(needle, from);
  const auto begin = haystack.begin() + static_cast<std::ptrdiff_t>(from);
  const auto it =
      std::search(begin, haystack.end(), std::boyer_moore_searcher(needle.begin(), needle.end()));
  return it == haystack.end() ? std::string_view::npos : static_cast<size_t>(it - haystack.begin());
}

int64_t js_length(const std::string& s) {
  int64_t n = 0;
  size_t pos = 0;
  while (pos < s.size()) n += utf8_next(s, pos) >= 0x10000 ? 2 : 1;
  return n;
}

Value builtin_member(const Value& object, const std::string& name) {
  switch (object.kind) {
    case ValueKind::kString: {
      if (name == "length") return Value::from_int(js_length(object.string));
      using Fn = std::function<Value(const Value&, const ValueList&, const Kwargs&)>;
      Fn fn;
      if (name == "upper") {
        fn = [](const Value& s, const ValueList&, const Kwargs&) {
          return Value::from_string(ascii_upper(s.string), s.untrusted);  // same byte positions
        };
      } else if (name == "lower") {
        fn = [](const Value& s, const ValueList&, const Kwargs&) {
          return Value::from_string(ascii_lower(s.string), s.untrusted);
        };
      } else if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const bool left = name != "rstrip";
        const bool right = name != "lstrip";
        fn = [left, right](const Value& s, const ValueList&, const Kwargs&) {
          const auto [begin, end] = js_trim_bounds(s.string, left, right);
          return substring(s, begin, end);
        };
      } else if (name == "title") {
        fn = [](const Value& s, const ValueList&, const Kwargs&) {
          return Value::from_string(title_case(s.string), s.untrusted);
        };
      } else if (name == "capitalize") {
        fn = [](const Value& s, const ValueList&, const Kwargs&) {
          std::string r = s.string;
          if (!r.empty() && r[0] >= 'a' && r[0] <= 'z') r[0] = static_cast<char>(r[0] - 'a' + 'A');
          return Value::from_string(r, s.untrusted);
        };
      } else if (name == "startswith" || name == "endswith") {
        const bool prefix = name == "startswith";
        fn = [prefix](const Value& s, const ValueList& args, const Kwargs&) {
          if (args.empty()) runtime_error("startswith()/endswith() need an argument");
          return Value::from_bool(affix_match(s.string, args[0], prefix));
        };
      } else if (name == "split") {
        fn = [](const Value& s, const ValueList& args, const Kwargs&) { return split(s, args); };
      } else if (name == "replace") {
        fn = [](const Value& s, const ValueList& args, const Kwargs& kwargs) {
          return replace(s, args, kwargs);
        };
      } else {
        return Value{};
      }
      return method(object, std::move(fn));
    }
    case ValueKind::kArray:
      if (name == "length") return Value::from_int(static_cast<int64_t>(object.array->size()));
      return Value{};
    case ValueKind::kObject:
      if (name == "get") {
        return method(object, [](const Value& o, const ValueList& args, const Kwargs&) {
          if (args.empty() || !args[0].is(ValueKind::kString)) {
            runtime_error("get(): the key must be a string");
          }
          if (const Value* v = o.find(args[0].string)) return *v;
          return args.size() > 1 ? args[1] : Value::none();
        });
      }
      if (name == "items") {
        return method(object, [](const Value& o, const ValueList&, const Kwargs&) {
          return object_items(o);
        });
      }
      if (name == "keys" || name == "values") {
        const bool keys = name == "keys";
        return method(object, [keys](const Value& o, const ValueList&, const Kwargs&) {
          ValueList items;
          for (const auto& [k, v] : *o.object) items.push_back(keys ? key_value(o, k) : v);
          return Value::from_array(std::move(items));
        });
      }
      return Value{};
    default:
      return Value{};
  }
}

namespace {

Value call_builtin(const Value& operand, const std::string& name) {
  const Value m = builtin_member(operand, name);
  if (m.is(ValueKind::kFunction)) return (*m.function)({}, {});
  if (m.is(ValueKind::kUndefined)) {
    runtime_error(fmt::format("unknown {} filter '{}'", kind_name(operand.kind), name));
  }
  return m;
}

Value to_int_value(const Value& v, const Value& fallback) {
  switch (v.kind) {
    case ValueKind::kString: {
      const char* begin = v.string.c_str();
      while (*begin == ' ' || *begin == '\t' || *begin == '\n') ++begin;
      char* end = nullptr;
      const long long i = std::strtoll(begin, &end, 10);
      return end == begin ? fallback : Value::from_int(i);
    }
    case ValueKind::kInt:
      return v;
    case ValueKind::kFloat:
      return Value::from_int(static_cast<int64_t>(std::floor(v.number)));
    case ValueKind::kBool:
      return Value::from_int(v.boolean ? 1 : 0);
    default:
      runtime_error(fmt::format("cannot apply filter 'int' to {}", kind_name(v.kind)));
  }
}

}  // namespace

Value apply_filter(const Value& operand, const std::string& name, const ValueList& args,
                   const Kwargs& kwargs, bool called) {
  const auto kwarg = [&](const char* key) -> const Value* {
    for (const auto& [k, v] : kwargs) {
      if (k == key) return &v;
    }
    return nullptr;
  };
  if (name == "safe") return operand;
  if (name == "tojson") {
    if (kwarg("indent") != nullptr && !kwarg("indent")->is(ValueKind::kNone)) {
      runtime_error("tojson(indent=...) is not supported");
    }
    return Value::from_marked(to_marked_json(operand));
  }
  if (name == "default") {
    const Value fallback = args.empty() ? Value::from_string("") : args[0];
    const Value* flag = args.size() > 1 ? &args[1] : kwarg("boolean");
    const bool boolean = flag != nullptr && flag->is(ValueKind::kBool) && flag->boolean;
    if (operand.is(ValueKind::kUndefined) || (boolean && !truthy(operand))) return fallback;
    return operand;
  }
  if (name == "join" && called) {
    const Value* sep_arg = !args.empty() ? &args[0] : kwarg("separator");
    const MarkedText sep = sep_arg != nullptr ? to_marked_output(*sep_arg) : MarkedText{};
    MarkedText out;
    if (operand.is(ValueKind::kArray)) {
      for (size_t i = 0; i < operand.array->size(); ++i) {
        if (i > 0) out.append(sep);
        out.append(to_marked_output((*operand.array)[i]));
        check_growth(out, "join");
      }
    } else if (operand.is(ValueKind::kString)) {
      size_t pos = 0;
      while (pos < operand.string.size()) {
        const size_t start = pos;
        utf8_next(operand.string, pos);
        if (start > 0) out.append(sep);
        out.append(std::string_view(operand.string).substr(start, pos - start),
                   slice_ranges(operand.untrusted, start, pos));
        check_growth(out, "join");
      }
    } else {
      runtime_error(fmt::format("cannot apply filter 'join' to {}", kind_name(operand.kind)));
    }
    return Value::from_marked(std::move(out));
  }
  if (called && (name == "int")) {
    return to_int_value(operand, args.empty() ? Value::from_int(0) : args[0]);
  }
  if (called && name == "replace" && operand.is(ValueKind::kString)) {
    return replace(operand, args, kwargs);
  }
  if (called) runtime_error(fmt::format("unsupported filter call '{}(...)'", name));

  switch (operand.kind) {
    case ValueKind::kArray: {
      const ValueList& items = *operand.array;
      if (name == "list") return operand;
      if (name == "first") return items.empty() ? Value{} : items.front();
      if (name == "last") return items.empty() ? Value{} : items.back();
      if (name == "length") return Value::from_int(static_cast<int64_t>(items.size()));
      if (name == "reverse") return Value::from_array(ValueList(items.rbegin(), items.rend()));
      if (name == "join") return apply_filter(operand, "join", {}, {}, true);
      if (name == "string") return Value::from_marked(to_marked_json(operand, "undefined"));
      break;
    }
    case ValueKind::kString: {
      if (name == "trim") {
        const auto [begin, end] = js_trim_bounds(operand.string, true, true);
        return substring(operand, begin, end);
      }
      if (name == "join" || name == "string") return operand;
      if (name == "int") return to_int_value(operand, Value::from_int(0));
      if (name == "length" || name == "upper" || name == "lower" || name == "title" ||
          name == "capitalize") {
        return call_builtin(operand, name);
      }
      break;
    }
    case ValueKind::kInt:
    case ValueKind::kFloat: {
      if (name == "int") return to_int_value(operand, Value::from_int(0));
      if (name == "float") {
        return Value::from_float(operand.is(ValueKind::kInt) ? static_cast<double>(operand.integer)
                                                             : operand.number);
      }
      if (name == "abs") {
        return operand.is(ValueKind::kInt) ? Value::from_int(std::llabs(operand.integer))
                                           : Value::from_float(std::fabs(operand.number));
      }
      if (name == "string") return Value::from_string(to_output(operand));
      break;
    }
    case ValueKind::kObject: {
      if (name == "items") return object_items(operand);
      if (name == "length") return Value::from_int(static_cast<int64_t>(operand.object->size()));
      return call_builtin(operand, name);
    }
    case ValueKind::kBool: {
      if (name == "bool") return operand;
      if (name == "int") return Value::from_int(operand.boolean ? 1 : 0);
      if (name == "string") return Value::from_string(operand.boolean ? "true" : "false");
      break;
    }
    default:
      break;
  }
  runtime_error(fmt::format("cannot apply filter '{}' to {}", name, kind_name(operand.kind)));
}

bool apply_test(const Value& v, const std::string& name) {
  if (name == "defined") return !v.is(ValueKind::kUndefined);
  if (name == "undefined") return v.is(ValueKind::kUndefined);
  if (name == "none") return v.is(ValueKind::kNone);
  if (name == "string") return v.is(ValueKind::kString);
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is(ValueKind::kInt);
  if (name == "boolean") return v.is(ValueKind::kBool);
  if (name == "true") return v.is(ValueKind::kBool) && v.boolean;
  if (name == "false") return v.is(ValueKind::kBool) && !v.boolean;
  if (name == "callable") return v.is(ValueKind::kFunction);
  if (name == "iterable") return v.is(ValueKind::kArray) || v.is(ValueKind::kString);
  if (name == "mapping") return v.is(ValueKind::kObject);
  if (name == "sequence") {
    return v.is(ValueKind::kArray) || v.is(ValueKind::kObject) || v.is(ValueKind::kString);
  }
  if (name == "odd" || name == "even") {
    if (!v.is(ValueKind::kInt))
      runtime_error(fmt::format("cannot {} on {}", name, kind_name(v.kind)));
    return (v.integer % 2 != 0) == (name == "odd");
  }
  if (name == "lower") return v.is(ValueKind::kString) && v.string == ascii_lower(v.string);
  if (name == "upper") return v.is(ValueKind::kString) && v.string == ascii_upper(v.string);
  runtime_error("unknown test '" + name + "'");
}

}  // namespace dsinfer::tokenizer::jinja
