// Allocation policy over the model's KV block pool: which block ids a sequence gets, reference
// counts, and the prefix cache (full blocks keyed by a keyed 128-bit chain hash of every token up
// to and including the block, see block_hash.h; a hit verifies the whole prefix; unused cached
// blocks count as free and are evicted least recently used).
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/block_hash.h"
#include "engine/request.h"

namespace dsinfer::engine {

// Not thread-safe: owned by the engine thread.
class KvBlockAllocator {
 public:
  // Throws Error(kInvalidInput) when block_count < 1 or block_size < 1.
  KvBlockAllocator(int64_t block_count, int64_t block_size, bool prefix_cache);

  // The chain hash of this cache (its key is drawn at construction).
  const BlockHasher& hasher() const { return hasher_; }

  int64_t block_count() const { return static_cast<int64_t>(blocks_.size()); }
  int64_t block_size() const { return block_size_; }
  bool prefix_cache_enabled() const { return prefix_cache_; }

  // Blocks that allocate() can hand out now: never-used/clean ones plus unused cached ones.
  int64_t free_count() const { return static_cast<int64_t>(clean_.size() + lru_.size()); }
  int64_t used_count() const { return block_count() - free_count(); }  // referenced by sequences
  int64_t cached_count() const { return static_cast<int64_t>(by_hash_.size()); }
  int64_t cached_free_count() const { return static_cast<int64_t>(lru_.size()); }

  // Takes one free block (a clean one first, else evicts the least recently used cached one).
  // Returns nullopt when none is free. The block's reference count becomes 1.
  std::optional<int32_t> allocate();
  // Drops one reference; at zero a cached block joins the LRU list (most recent end), any other
  // block becomes clean.
  void release(int32_t block);
  // Releases a whole block table, last block first (so a sequence's tail is evicted first).
  void release_all(std::vector<int32_t>& table);

  // Longest run of cached blocks matching `hashes` from the start, verified against `tokens`
  // (the sequence's tokens; block i covers tokens [i*bs, (i+1)*bs)): block i hits only when its
  // tokens are equal and it was computed right after the block matched at i - 1 (the exact cache
  // entry), so a hit's whole prefix equals the request's, whatever the hashes. Does not take
  // references.
  std::vector<int32_t> match_prefix(std::span<const BlockHash> hashes,
                                    std::span<const TokenId> tokens) const;
  // Takes a reference on a cached block returned by match_prefix (removing it from the LRU list).
  void acquire_cached(int32_t block);
  // Records that `block` (referenced, full, its KV computed) holds `tokens` with chain `hash`,
  // computed right after block `parent` (-1 for a sequence's first block). No-op when prefix
  // caching is off, when `parent` is not a cached block (the chain cannot be verified), or when
  // an equal entry (same hash, tokens and parent) exists; an entry with the same hash but another
  // prefix is replaced.
  void register_full_block(int32_t block, const BlockHash& hash, std::span<const TokenId> tokens,
                           int32_t parent);
  // Forgets every reference and cached block (recovery after an engine failure).
  void reset();

  int32_t ref_count(int32_t block) const { return blocks_.at(block).refs; }

 private:
  struct BlockState {
    int32_t refs = 0;
    std::optional<BlockHash> hash;        // set while cached
    uint64_t serial = 0;                  // cached: unique id of this cache entry (never reused)
    uint64_t parent_serial = 0;           // cached: the entry computed before it (0: none)
    std::vector<TokenId> tokens;          // cached: the block's tokens (verified on a hit)
    std::list<int32_t>::iterator lru_it;  // valid while in lru_
  };
  void check_block(int32_t block) const;
  void uncache(int32_t block);

  int64_t block_size_;
  bool prefix_cache_;
  std::vector<BlockState> blocks_;
  std::vector<int32_t> clean_;  // stack; lowest ids handed out first
  std::list<int32_t> lru_;      // unreferenced cached blocks, least recently used first
  std::unordered_map<BlockHash, int32_t, BlockHashKeyHasher> by_hash_;
  uint64_t next_serial_ = 1;
  BlockHasher hasher_;
};

}  // namespace dsinfer::engine
