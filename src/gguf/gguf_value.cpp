// GGUF metadata values: type names, array builders and the typed getters of Metadata.
#include "gguf/gguf_value.h"

#include <cmath>
#include <limits>

#include "base/error.h"

namespace dsinfer::gguf {
namespace {

bool is_unsigned(ValueType t) {
  return t == ValueType::kUint8 || t == ValueType::kUint16 || t == ValueType::kUint32 ||
         t == ValueType::kUint64;
}
bool is_signed(ValueType t) {
  return t == ValueType::kInt8 || t == ValueType::kInt16 || t == ValueType::kInt32 ||
         t == ValueType::kInt64;
}
bool is_float(ValueType t) { return t == ValueType::kFloat32 || t == ValueType::kFloat64; }

// The value as an unsigned integer, or nullopt when it is not an integer or does not fit.
std::optional<uint64_t> as_uint(const Value& v) {
  if (const auto* u = std::get_if<uint64_t>(&v.data)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v.data)) {
    if (*i >= 0) return static_cast<uint64_t>(*i);
  }
  return std::nullopt;
}

std::optional<int64_t> as_int(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v.data)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&v.data)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(*u);
    }
  }
  return std::nullopt;
}

std::optional<double> as_float(const Value& v) {
  if (const auto* d = std::get_if<double>(&v.data)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v.data)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<uint64_t>(&v.data)) return static_cast<double>(*u);
  return std::nullopt;
}

std::string type_text(const Value& v) {
  if (v.type == ValueType::kArray) {
    if (const auto* a = std::get_if<Array>(&v.data)) {
      return fmt::format("array of {}", value_type_name(a->elem_type));
    }
  }
  return value_type_name(v.type);
}

}  // namespace

const char* value_type_name(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
      return "uint8";
    case ValueType::kInt8:
      return "int8";
    case ValueType::kUint16:
      return "uint16";
    case ValueType::kInt16:
      return "int16";
    case ValueType::kUint32:
      return "uint32";
    case ValueType::kInt32:
      return "int32";
    case ValueType::kFloat32:
      return "float32";
    case ValueType::kBool:
      return "bool";
    case ValueType::kString:
      return "string";
    case ValueType::kArray:
      return "array";
    case ValueType::kUint64:
      return "uint64";
    case ValueType::kInt64:
      return "int64";
    case ValueType::kFloat64:
      return "float64";
  }
  return "unknown";
}

Value Value::from_strings(const std::vector<std::string>& v) {
  Array a{ValueType::kString, {}};
  a.items.reserve(v.size());
  for (const auto& s : v) a.items.push_back(from_string(s));
  return {ValueType::kArray, std::move(a)};
}

Value Value::from_i32s(const std::vector<int32_t>& v) {
  Array a{ValueType::kInt32, {}};
  a.items.reserve(v.size());
  for (int32_t x : v) a.items.push_back(from_i32(x));
  return {ValueType::kArray, std::move(a)};
}

Value Value::from_f32s(const std::vector<float>& v) {
  Array a{ValueType::kFloat32, {}};
  a.items.reserve(v.size());
  for (float x : v) a.items.push_back(from_f32(x));
  return {ValueType::kArray, std::move(a)};
}

void Metadata::set(std::string key, Value value) {
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

const Value* Metadata::find(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

namespace {

[[noreturn]] void fail_type(const std::string& file, std::string_view key, const Value& v,
                            const char* expected) {
  fail(ErrorKind::kBadFile, "{}: metadata key '{}' is {}, expected {}", file, key, type_text(v),
       expected);
}

const Value& require(const std::string& file, const Metadata& m, std::string_view key) {
  const Value* v = m.find(key);
  if (v == nullptr) fail(ErrorKind::kBadFile, "{}: missing metadata key '{}'", file, key);
  return *v;
}

const Array& require_array(const std::string& file, std::string_view key, const Value& v,
                           const char* expected) {
  const auto* a = std::get_if<Array>(&v.data);
  if (v.type != ValueType::kArray || a == nullptr) fail_type(file, key, v, expected);
  return *a;
}

}  // namespace

std::optional<std::string> Metadata::get_string_opt(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  const auto* s = std::get_if<std::string>(&v->data);
  if (v->type != ValueType::kString || s == nullptr) fail_type(file_, key, *v, "string");
  return *s;
}

std::string Metadata::get_string(std::string_view key) const {
  require(file_, *this, key);
  return *get_string_opt(key);
}

std::optional<uint64_t> Metadata::get_uint_opt(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  const auto u = as_uint(*v);
  if (!u || !(is_unsigned(v->type) || is_signed(v->type))) {
    fail_type(file_, key, *v, "a non-negative integer");
  }
  return u;
}

uint64_t Metadata::get_uint(std::string_view key) const {
  require(file_, *this, key);
  return *get_uint_opt(key);
}

int64_t Metadata::get_int(std::string_view key) const {
  const Value& v = require(file_, *this, key);
  const auto i = as_int(v);
  if (!i || !(is_unsigned(v.type) || is_signed(v.type))) fail_type(file_, key, v, "an integer");
  return *i;
}

std::optional<double> Metadata::get_float_opt(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  const auto d = as_float(*v);
  if (!d || !(is_float(v->type) || is_unsigned(v->type) || is_signed(v->type))) {
    fail_type(file_, key, *v, "a number");
  }
  return d;
}

double Metadata::get_float(std::string_view key) const {
  require(file_, *this, key);
  return *get_float_opt(key);
}

std::optional<bool> Metadata::get_bool_opt(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  const auto* b = std::get_if<bool>(&v->data);
  if (v->type != ValueType::kBool || b == nullptr) fail_type(file_, key, *v, "bool");
  return *b;
}

bool Metadata::get_bool(std::string_view key) const {
  require(file_, *this, key);
  return *get_bool_opt(key);
}

std::vector<std::string> Metadata::get_string_array(std::string_view key) const {
  const Value& v = require(file_, *this, key);
  const Array& a = require_array(file_, key, v, "array of string");
  if (a.elem_type != ValueType::kString) fail_type(file_, key, v, "array of string");
  std::vector<std::string> out;
  out.reserve(a.items.size());
  for (const auto& item : a.items) {
    const auto* s = std::get_if<std::string>(&item.data);
    if (s == nullptr) fail_type(file_, key, v, "array of string");
    out.push_back(*s);
  }
  return out;
}

std::vector<int64_t> Metadata::get_int_array(std::string_view key) const {
  const Value& v = require(file_, *this, key);
  const Array& a = require_array(file_, key, v, "array of integers");
  if (!is_unsigned(a.elem_type) && !is_signed(a.elem_type)) {
    fail_type(file_, key, v, "array of integers");
  }
  std::vector<int64_t> out;
  out.reserve(a.items.size());
  for (size_t i = 0; i < a.items.size(); ++i) {
    const auto x = as_int(a.items[i]);
    if (!x) {
      fail(ErrorKind::kBadFile, "{}: metadata key '{}': element {} does not fit in int64", file_,
           key, i);
    }
    out.push_back(*x);
  }
  return out;
}

std::vector<float> Metadata::get_float_array(std::string_view key) const {
  const Value& v = require(file_, *this, key);
  const Array& a = require_array(file_, key, v, "array of numbers");
  if (!is_float(a.elem_type) && !is_unsigned(a.elem_type) && !is_signed(a.elem_type)) {
    fail_type(file_, key, v, "array of numbers");
  }
  std::vector<float> out;
  out.reserve(a.items.size());
  for (const auto& item : a.items) {
    const auto d = as_float(item);
    if (!d) fail_type(file_, key, v, "array of numbers");
    out.push_back(static_cast<float>(*d));
  }
  return out;
}

}  // namespace dsinfer::gguf
