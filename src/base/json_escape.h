// Escaping of text for a JSON string literal, as Python's json.dumps (ensure_ascii=False) writes
// it: \" \\ \b \f \n \r \t, other control characters as \u00XX, everything else byte for byte.
// The one implementation for logs, the HTTP layer and the chat templates' tojson.
#pragma once

#include <string>
#include <string_view>

namespace dsinfer {

// Appends `s` escaped (no surrounding quotes) to `out`.
void append_json_escaped(std::string_view s, std::string& out);

// `s` escaped for use inside a JSON string literal (no surrounding quotes).
std::string json_escape(std::string_view s);

}  // namespace dsinfer
