// application/x-www-form-urlencoded bodies and query strings (WHATWG URL standard's parser):
// `a=1&text=x&text=y`, '+' for space, %XX escapes. Order and repeated names are kept (DeepL's
// clients send one `text` field per text).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsinfer::server {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Throws FieldError naming the field for a malformed %-escape or a value that is not UTF-8.
FormFields parse_form_urlencoded(std::string_view body);

// Every value of `name`, in order.
std::vector<std::string> form_values(const FormFields& fields, std::string_view name);
// The last value of `name`, or "" when absent.
std::string form_value(const FormFields& fields, std::string_view name);
bool form_has(const FormFields& fields, std::string_view name);

}  // namespace dsinfer::server
