// LRU translation cache.
#include "translate/translation_cache.h"

namespace dsinfer::translate {

std::string TranslationCache::key(const std::string& model, const TranslationTask& task,
                                  const std::string& text) {
  // Length-prefixed fields: no two different inputs give the same key.
  std::string k;
  auto field = [&k](const std::string& s) {
    k += std::to_string(s.size());
    k += ':';
    k += s;
  };
  field(model);
  field(task.source_lang);
  field(task.target_lang);
  k += std::to_string(task.glossary.size());
  for (const auto& [src, dst] : task.glossary) {
    field(src);
    field(dst);
  }
  field(task.placeholders ? "p" : "");
  field(task.context);
  k += std::to_string(static_cast<int>(task.formality));
  field(text);
  return k;
}

std::optional<std::string> TranslationCache::get(const std::string& key) {
  std::lock_guard lock(mu_);
  const auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void TranslationCache::put(const std::string& key, std::string translation) {
  if (max_bytes_ == 0) return;
  std::lock_guard lock(mu_);
  if (const auto it = index_.find(key); it != index_.end()) {
    bytes_ -= cost(*it->second);
    lru_.erase(it->second);
    index_.erase(it);
  }
  Entry entry(key, std::move(translation));
  if (cost(entry) > max_bytes_) return;
  bytes_ += cost(entry);
  lru_.push_front(std::move(entry));
  index_[key] = lru_.begin();
  while (bytes_ > max_bytes_) {
    bytes_ -= cost(lru_.back());
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

size_t TranslationCache::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

size_t TranslationCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace dsinfer::translate
