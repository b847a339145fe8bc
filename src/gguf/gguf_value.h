// GGUF metadata values (every value type, arrays included) and the ordered key/value table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dsinfer::gguf {

// GGUF metadata value type ids (GGUF specification).
enum class ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

const char* value_type_name(ValueType type);

struct Value;

// An array: element type plus the elements (nested arrays allowed by the format).
struct Array {
  ValueType elem_type = ValueType::kUint8;
  std::vector<Value> items;
};

// One metadata value. Integers are widened to int64/uint64, floats to double; `type` keeps the
// stored type so a writer can reproduce the file exactly.
struct Value {
  ValueType type = ValueType::kUint8;
  std::variant<uint64_t, int64_t, double, bool, std::string, Array> data;

  static Value from_u32(uint32_t v) { return {ValueType::kUint32, uint64_t{v}}; }
  static Value from_i32(int32_t v) { return {ValueType::kInt32, int64_t{v}}; }
  static Value from_u64(uint64_t v) { return {ValueType::kUint64, v}; }
  static Value from_f32(float v) { return {ValueType::kFloat32, double{v}}; }
  static Value from_bool(bool v) { return {ValueType::kBool, v}; }
  static Value from_string(std::string v) { return {ValueType::kString, std::move(v)}; }
  static Value from_strings(const std::vector<std::string>& v);
  static Value from_i32s(const std::vector<int32_t>& v);
  static Value from_f32s(const std::vector<float>& v);
};

// Ordered metadata of one file. Typed getters throw Error(kBadFile) naming the key and the
// expected/actual type; *_opt variants return nullopt when the key is absent (but still throw
// on a wrong type). Integer getters accept any integer type that fits.
class Metadata {
 public:
  explicit Metadata(std::string file = {}) : file_(std::move(file)) {}

  void set(std::string key, Value value);  // replaces an existing key, keeps order otherwise
  // Appends without looking for an existing key (O(1)); the caller guarantees `key` is new.
  void append(std::string key, Value value) {
    entries_.emplace_back(std::move(key), std::move(value));
  }
  const std::string& file() const { return file_; }
  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }

  std::string get_string(std::string_view key) const;
  std::optional<std::string> get_string_opt(std::string_view key) const;
  uint64_t get_uint(std::string_view key) const;
  std::optional<uint64_t> get_uint_opt(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  double get_float(std::string_view key) const;  // accepts integers too
  std::optional<double> get_float_opt(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::optional<bool> get_bool_opt(std::string_view key) const;
  std::vector<std::string> get_string_array(std::string_view key) const;
  std::vector<int64_t> get_int_array(std::string_view key) const;
  std::vector<float> get_float_array(std::string_view key) const;

 private:
  std::string file_;
  std::vector<std::pair<std::string, Value>> entries_;
};

}  // namespace dsinfer::gguf
