// KV block allocation, reference counting and the LRU prefix cache.
#include "engine/kv_block_allocator.h"

#include <algorithm>

#include "base/error.h"

namespace dsinfer::engine {

uint64_t block_chain_hash(uint64_t parent, std::span<const TokenId> block_tokens) {
  // NOTE: FNV-1a style mixing of 64-bit words followed by a murmur3 finalizer; the parent hash
  // makes the key depend on every earlier token (prefix chaining, as in vLLM's prefix cache).
  uint64_t h = parent ^ 0xcbf29ce484222325ULL;
  auto mix = [&h](uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0x100000001b3ULL;
  };
  mix(block_tokens.size());
  for (TokenId t : block_tokens) mix(static_cast<uint32_t>(t));
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

KvBlockAllocator::KvBlockAllocator(int64_t block_count, int64_t block_size, bool prefix_cache)
    : block_size_(block_size), prefix_cache_(prefix_cache) {
  if (block_count < 1 || block_count > INT32_MAX) {
    fail(ErrorKind::kInvalidInput, "KV block count must be in [1, 2^31), got {}", block_count);
  }
  if (block_size < 1)
    fail(ErrorKind::kInvalidInput, "KV block size must be >= 1, got {}", block_size);
  blocks_.resize(static_cast<size_t>(block_count));
  clean_.reserve(blocks_.size());
  for (int64_t b = block_count - 1; b >= 0; --b) clean_.push_back(static_cast<int32_t>(b));
}

void KvBlockAllocator::check_block(int32_t block) const {
  if (block < 0 || block >= block_count()) {
    fail(ErrorKind::kInternal, "KV block id {} out of range [0, {})", block, block_count());
  }
}

void KvBlockAllocator::uncache(int32_t block) {
  auto& st = blocks_[static_cast<size_t>(block)];
  if (st.hash) {
    by_hash_.erase(*st.hash);
    st.hash.reset();
    st.tokens.clear();
  }
}

std::optional<int32_t> KvBlockAllocator::allocate() {
  int32_t block;
  if (!clean_.empty()) {
    block = clean_.back();
    clean_.pop_back();
  } else if (!lru_.empty()) {
    block = lru_.front();
    lru_.pop_front();
    uncache(block);
  } else {
    return std::nullopt;
  }
  blocks_[static_cast<size_t>(block)].refs = 1;
  return block;
}

void KvBlockAllocator::release(int32_t block) {
  check_block(block);
  auto& st = blocks_[static_cast<size_t>(block)];
  if (st.refs <= 0) fail(ErrorKind::kInternal, "KV block {} released more often than taken", block);
  if (--st.refs > 0) return;
  if (st.hash) {
    lru_.push_back(block);
    st.lru_it = std::prev(lru_.end());
  } else {
    clean_.push_back(block);
  }
}

void KvBlockAllocator::release_all(std::vector<int32_t>& table) {
  for (auto it = table.rbegin(); it != table.rend(); ++it) release(*it);
  table.clear();
}

std::vector<int32_t> KvBlockAllocator::match_prefix(std::span<const uint64_t> hashes,
                                                    std::span<const TokenId> tokens) const {
  std::vector<int32_t> out;
  if (!prefix_cache_) return out;
  for (size_t i = 0; i < hashes.size(); ++i) {
    auto it = by_hash_.find(hashes[i]);
    if (it == by_hash_.end()) break;
    const auto& st = blocks_[static_cast<size_t>(it->second)];
    const size_t begin = i * static_cast<size_t>(block_size_);
    if (begin + static_cast<size_t>(block_size_) > tokens.size()) break;
    if (!std::equal(st.tokens.begin(), st.tokens.end(),
                    tokens.begin() + static_cast<ptrdiff_t>(begin))) {
      break;  // hash collision: treat as a miss
    }
    out.push_back(it->second);
  }
  return out;
}

void KvBlockAllocator::acquire_cached(int32_t block) {
  check_block(block);
  auto& st = blocks_[static_cast<size_t>(block)];
  if (!st.hash) fail(ErrorKind::kInternal, "KV block {} is not cached", block);
  if (st.refs++ == 0) lru_.erase(st.lru_it);
}

void KvBlockAllocator::register_full_block(int32_t block, uint64_t hash,
                                           std::span<const TokenId> tokens) {
  if (!prefix_cache_) return;
  check_block(block);
  auto& st = blocks_[static_cast<size_t>(block)];
  if (st.hash || by_hash_.contains(hash)) return;
  st.hash = hash;
  st.tokens.assign(tokens.begin(), tokens.end());
  by_hash_.emplace(hash, block);
}

}  // namespace dsinfer::engine
