// Per-key character counts.
#include "server/usage_ledger.h"

namespace dsinfer::server {

void UsageLedger::add(const std::string& key, int64_t characters) {
  std::lock_guard lock(mu_);
  characters_[key] += characters;
}

int64_t UsageLedger::characters(const std::string& key) const {
  std::lock_guard lock(mu_);
  const auto it = characters_.find(key);
  return it == characters_.end() ? 0 : it->second;
}

}  // namespace dsinfer::server
