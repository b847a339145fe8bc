// KV block allocation, reference counting and the LRU prefix cache.
#include "engine/kv_block_allocator.h"

#include <algorithm>

#include "base/error.h"

namespace dsinfer::engine {

KvBlockAllocator::KvBlockAllocator(int64_t block_count, int64_t block_size, bool prefix_cache)
    : block_size_(block_size), prefix_cache_(prefix_cache) {
  if (block_count < 1 || block_count > INT32_MAX) {
    fail(ErrorKind::kInvalidInput, "KV block count must be in [1, 2^31), got {}", block_count);
  }
  if (block_size < 1)
    fail(ErrorKind::kInvalidInput, "KV block size must be >= 1, got {}", block_size);
  blocks_.resize(static_cast<size_t>(block_count));
  reset();
}

void KvBlockAllocator::reset() {
  for (auto& st : blocks_) st = BlockState{};
  lru_.clear();
  by_hash_.clear();
  clean_.clear();
  clean_.reserve(blocks_.size());
  for (auto b = static_cast<int64_t>(blocks_.size()) - 1; b >= 0; --b) {
    clean_.push_back(static_cast<int32_t>(b));
  }
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
    st.serial = 0;
    st.parent_serial = 0;
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

std::vector<int32_t> KvBlockAllocator::match_prefix(std::span<const BlockHash> hashes,
                                                    std::span<const TokenId> tokens) const {
  std::vector<int32_t> out;
  if (!prefix_cache_) return out;
  uint64_t parent_serial = 0;  // the entry matched at i - 1 (0 before the first block)
  for (size_t i = 0; i < hashes.size(); ++i) {
    auto it = by_hash_.find(hashes[i]);
    if (it == by_hash_.end()) break;
    const auto& st = blocks_[static_cast<size_t>(it->second)];
    const size_t begin = i * static_cast<size_t>(block_size_);
    if (begin + static_cast<size_t>(block_size_) > tokens.size()) break;
    // NOTE: by induction, equal tokens and the exact predecessor entry mean that this block's KV
    // was computed over exactly the request's prefix; a hash collision is just a miss.
    if (st.parent_serial != parent_serial || st.tokens.size() != static_cast<size_t>(block_size_) ||
        !std::equal(st.tokens.begin(), st.tokens.end(),
                    tokens.begin() + static_cast<ptrdiff_t>(begin))) {
      break;
    }
    out.push_back(it->second);
    parent_serial = st.serial;
  }
  return out;
}

void KvBlockAllocator::acquire_cached(int32_t block) {
  check_block(block);
  auto& st = blocks_[static_cast<size_t>(block)];
  if (!st.hash) fail(ErrorKind::kInternal, "KV block {} is not cached", block);
  if (st.refs++ == 0) lru_.erase(st.lru_it);
}

void KvBlockAllocator::register_full_block(int32_t block, const BlockHash& hash,
                                           std::span<const TokenId> tokens, int32_t parent) {
  if (!prefix_cache_) return;
  check_block(block);
  auto& st = blocks_[static_cast<size_t>(block)];
  if (st.hash) return;  // already cached (a hit)
  uint64_t parent_serial = 0;
  if (parent >= 0) {
    check_block(parent);
    parent_serial = blocks_[static_cast<size_t>(parent)].serial;
    if (parent_serial == 0) return;  // the predecessor is not cached: nothing to chain to
  }
  if (const auto it = by_hash_.find(hash); it != by_hash_.end()) {
    const auto& other = blocks_[static_cast<size_t>(it->second)];
    if (other.parent_serial == parent_serial &&
        std::equal(other.tokens.begin(), other.tokens.end(), tokens.begin(), tokens.end())) {
      return;  // the same block is cached already
    }
    // Same hash, another prefix (a stale child of an evicted block, or a collision): replace.
    const int32_t stale = it->second;
    auto& stale_st = blocks_[static_cast<size_t>(stale)];
    uncache(stale);
    if (stale_st.refs == 0) {
      lru_.erase(stale_st.lru_it);
      clean_.push_back(stale);
    }
  }
  st.hash = hash;
  st.serial = next_serial_++;
  st.parent_serial = parent_serial;
  st.tokens.assign(tokens.begin(), tokens.end());
  by_hash_.emplace(hash, block);
}

}  // namespace dsinfer::engine
