// API key extraction and comparison.
#include "server/api_keys.h"

namespace dsinfer::server {

std::string presented_key(std::string_view authorization, std::string_view scheme) {
  if (authorization.size() <= scheme.size() + 1 ||
      authorization.substr(0, scheme.size()) != scheme || authorization[scheme.size()] != ' ') {
    return "";
  }
  return std::string(authorization.substr(scheme.size() + 1));
}

bool key_matches(const std::string& presented, const std::vector<std::string>& keys) {
  bool ok = false;
  for (const auto& k : keys) {
    unsigned diff = presented.size() == k.size() ? 0u : 1u;
    for (size_t i = 0; i < k.size(); ++i) {
      const unsigned char a = i < presented.size() ? presented[i] : 0;
      diff |= a ^ static_cast<unsigned char>(k[i]);
    }
    ok |= diff == 0;
  }
  return ok;
}

}  // namespace dsinfer::server
