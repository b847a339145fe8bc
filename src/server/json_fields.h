// Parsing and validating JSON request bodies: depth-limited parsing, typed optional fields with
// ranges. Every failure is a FieldError naming the field (400). Unknown fields are ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dsinfer::server {

using Json = nlohmann::json;

// Parses a request body: a JSON object, nesting at most 32 levels, valid UTF-8.
Json parse_json_object(const std::string& body);

std::optional<double> opt_number(const Json& j, const char* field, double lo, double hi);
std::optional<int64_t> opt_int(const Json& j, const char* field, int64_t lo, int64_t hi);
std::optional<bool> opt_bool(const Json& j, const char* field);
std::optional<std::string> opt_string(const Json& j, const char* field);
// A string or an array of strings (OpenAI's "stop"); at most `max_items`.
std::vector<std::string> opt_string_list(const Json& j, const char* field, size_t max_items);

}  // namespace dsinfer::server
