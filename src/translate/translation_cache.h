// LRU cache of segment translations (used only for deterministic, temperature-0 requests).
// Key: model, languages, glossary, segment text. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "translate/prompt.h"

namespace dsinfer::translate {

class TranslationCache {
 public:
  // `max_entries` 0 disables the cache.
  explicit TranslationCache(size_t max_entries) : max_entries_(max_entries) {}

  static std::string key(const std::string& model, const TranslationTask& task,
                         const std::string& text);

  std::optional<std::string> get(const std::string& key);
  void put(const std::string& key, std::string translation);
  size_t size() const;

 private:
  using Entry = std::pair<std::string, std::string>;
  size_t max_entries_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace dsinfer::translate
