// Byte-level BPE merging of one pre-tokenized word into token ids, by merge rank, with a bounded
// thread-safe cache of recent words.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/byte_level.h"
#include "tokenizer/vocab.h"

namespace dsinfer::tokenizer {

// Immutable merge table over a Vocab plus a word cache. encode_word() is const and thread-safe
// (the cache is sharded, each shard behind its own mutex). The Vocab must outlive the model.
class BpeModel {
 public:
  // `ignore_merges`: a word that is itself a vocabulary token is emitted as that token without
  // merging (llama-bpe behaviour). Throws Error(kBadFile) for a merge that is not "A B".
  BpeModel(const Vocab& vocab, bool ignore_merges);

  // NOTE: BPE by rank (Sennrich et al. 2016, GPT-2 byte-level variant): the word's bytes start
  // as one symbol each (their stand-in characters); repeatedly the adjacent pair with the
  // lowest merge rank (leftmost on ties) is merged. Pairs live in a min-heap and stale entries
  // are skipped when popped, so a word of n bytes costs O(n log n). A final symbol that is not a
  // token falls back to its characters' tokens. Appends the ids to `out`.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  // Number of merges that resolved to symbols (for diagnostics).
  size_t merge_count() const { return merges_.size(); }

 private:
  struct Merge {
    int32_t rank;
    int32_t result;  // symbol id
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  int32_t intern(std::string_view text);
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  void emit_symbol(int32_t symbol, std::vector<int32_t>& out) const;

  static constexpr size_t kCacheShards = 16;
  static constexpr size_t kCacheEntriesPerShard = 8192;
  static constexpr size_t kCacheMaxWordBytes = 256;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct CacheShard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> words;
  };

  const Vocab& vocab_;
  bool ignore_merges_;
  ByteLevelCodec codec_;
  // Symbols: ids < vocab size are tokens; larger ids are merge results that are not tokens.
  std::vector<std::string> extra_symbols_;
  std::unordered_map<std::string, int32_t> extra_ids_;
  std::array<int32_t, 256> byte_symbol_{};
  std::unordered_map<uint64_t, Merge> merges_;
  mutable std::unique_ptr<std::array<CacheShard, kCacheShards>> cache_;
};

}  // namespace dsinfer::tokenizer
