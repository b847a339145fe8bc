// API keys: the key a request presents (Authorization: Bearer KEY or DeepL-Auth-Key KEY) and a
// constant-time check against the configured keys.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::server {

// The key after `scheme` in an Authorization header value ("Bearer", "DeepL-Auth-Key"); "" when
// the header uses another scheme.
std::string presented_key(std::string_view authorization, std::string_view scheme);

// True when `presented` equals one of `keys`; the time taken does not depend on where the
// first differing byte is.
bool key_matches(const std::string& presented, const std::vector<std::string>& keys);

}  // namespace dsinfer::server
