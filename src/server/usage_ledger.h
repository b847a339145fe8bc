// Characters translated since start, per API key (DeepL's /v2/usage). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace dsinfer::server {

class UsageLedger {
 public:
  // `key` is the presented API key ("" when keys are off: one shared account).
  void add(const std::string& key, int64_t characters);
  int64_t characters(const std::string& key) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> characters_;
};

}  // namespace dsinfer::server
