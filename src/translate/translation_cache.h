// LRU cache of segment translations (used only for deterministic, temperature-0 requests),
// bounded in bytes. Key: model, languages, glossary, segment text. Thread-safe.
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
  // Keeps entries while their cost (key + translation + kEntryOverhead each) stays within
  // `max_bytes`; 0 disables the cache. An entry costing more than max_bytes is not kept.
  explicit TranslationCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Bookkeeping bytes charged per entry besides its strings (list node, index slot).
  static constexpr size_t kEntryOverhead = 128;

  static std::string key(const std::string& model, const TranslationTask& task,
                         const std::string& text);

  std::optional<std::string> get(const std::string& key);
  void put(const std::string& key, std::string translation);
  size_t size() const;
  size_t bytes() const;  // cost of the entries held (<= max_bytes)

 private:
  using Entry = std::pair<std::string, std::string>;
  static size_t cost(const Entry& e) { return e.first.size() + e.second.size() + kEntryOverhead; }
  size_t max_bytes_;
  size_t bytes_ = 0;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace dsinfer::translate
