// Request JSON field validation.
#include "server/json_fields.h"

#include <cmath>

#include <fmt/format.h>

#include "server/api_error.h"

namespace dsinfer::server {

Json parse_json_object(const std::string& body) {
  static constexpr int kMaxDepth = 32;
  Json j;
  try {
    j = Json::parse(body, [](int depth, Json::parse_event_t, Json&) {
      if (depth > kMaxDepth) {
        throw FieldError("body", fmt::format("JSON nested deeper than {} levels", kMaxDepth));
      }
      return true;
    });
  } catch (const Json::parse_error& e) {
    throw FieldError("body", fmt::format("invalid JSON: {}", e.what()));
  }
  if (!j.is_object()) throw FieldError("body", "the request body must be a JSON object");
  return j;
}

namespace {
const Json* present(const Json& j, const char* field) {
  const auto it = j.find(field);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}
}  // namespace

std::optional<double> opt_number(const Json& j, const char* field, double lo, double hi) {
  const Json* v = present(j, field);
  if (!v) return std::nullopt;
  if (!v->is_number()) throw FieldError(field, fmt::format("'{}' must be a number", field));
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    throw FieldError(
        field, fmt::format("'{}' must be between {} and {} (got {})", field, lo, hi, v->dump()));
  }
  return x;
}

std::optional<int64_t> opt_int(const Json& j, const char* field, int64_t lo, int64_t hi) {
  const Json* v = present(j, field);
  if (!v) return std::nullopt;
  bool integral = v->is_number_integer();
  if (!integral && v->is_number_float()) {
    const double d = v->get<double>();
    integral = std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15;
  }
  if (!integral) throw FieldError(field, fmt::format("'{}' must be an integer", field));
  const double d = v->get<double>();
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    throw FieldError(
        field, fmt::format("'{}' must be between {} and {} (got {})", field, lo, hi, v->dump()));
  }
  return v->is_number_unsigned() ? static_cast<int64_t>(v->get<uint64_t>()) : v->get<int64_t>();
}

std::optional<bool> opt_bool(const Json& j, const char* field) {
  const Json* v = present(j, field);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw FieldError(field, fmt::format("'{}' must be true or false", field));
  return v->get<bool>();
}

std::optional<std::string> opt_string(const Json& j, const char* field) {
  const Json* v = present(j, field);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw FieldError(field, fmt::format("'{}' must be a string", field));
  return v->get<std::string>();
}

std::vector<std::string> opt_string_list(const Json& j, const char* field, size_t max_items) {
  const Json* v = present(j, field);
  if (!v) return {};
  std::vector<std::string> out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    for (const auto& item : *v) {
      if (!item.is_string()) {
        throw FieldError(field, fmt::format("'{}' must be a string or an array of strings", field));
      }
      out.push_back(item.get<std::string>());
    }
  } else {
    throw FieldError(field, fmt::format("'{}' must be a string or an array of strings", field));
  }
  if (out.size() > max_items) {
    throw FieldError(field, fmt::format("'{}' has more than {} items", field, max_items));
  }
  for (const auto& s : out) {
    if (s.empty()) throw FieldError(field, fmt::format("'{}' items must not be empty", field));
  }
  return out;
}

}  // namespace dsinfer::server
