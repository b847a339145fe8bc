// KvBlockAllocator: allocation until exhaustion, release, prefix matching, LRU eviction of
// unused cached blocks, reference counts.
#include "engine/kv_block_allocator.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace dsinfer::engine {
namespace {

std::vector<TokenId> seq_tokens(int n, int base) {
  std::vector<TokenId> t;
  for (int i = 0; i < n; ++i) t.push_back(base + i);
  return t;
}

std::vector<BlockHash> hashes_of(const std::vector<TokenId>& t, int64_t bs) {
  static const BlockHasher hasher;
  std::vector<BlockHash> h;
  BlockHash parent = hasher.root();
  for (size_t i = 0; i + bs <= t.size(); i += bs) {
    parent = hasher.chain(parent, std::span(t).subspan(i, bs));
    h.push_back(parent);
  }
  return h;
}

TEST(KvBlockAllocator, AllocatesUntilEmptyAndReleases) {
  KvBlockAllocator a(4, 16, true);
  std::vector<int32_t> table;
  for (int i = 0; i < 4; ++i) table.push_back(*a.allocate());
  EXPECT_FALSE(a.allocate().has_value());
  EXPECT_EQ(a.used_count(), 4);
  a.release_all(table);
  EXPECT_EQ(a.free_count(), 4);
  EXPECT_THROW(a.release(0), Error);
}

TEST(KvBlockAllocator, PrefixMatchAndSharing) {
  const int64_t bs = 4;
  KvBlockAllocator a(8, bs, true);
  const auto tokens = seq_tokens(10, 100);
  const auto h = hashes_of(tokens, bs);
  std::vector<int32_t> table;
  for (int i = 0; i < 3; ++i) table.push_back(*a.allocate());
  a.register_full_block(table[0], h[0], std::span(tokens).subspan(0, 4), -1);
  a.register_full_block(table[1], h[1], std::span(tokens).subspan(4, 4), table[0]);
  auto match = a.match_prefix(h, tokens);
  ASSERT_EQ(match.size(), 2u);
  EXPECT_EQ(match[0], table[0]);
  a.acquire_cached(match[0]);
  EXPECT_EQ(a.ref_count(table[0]), 2);
  a.release(match[0]);
  // A different first block shares nothing (chain hash).
  auto other = tokens;
  other[0] = 1;
  EXPECT_TRUE(a.match_prefix(hashes_of(other, bs), other).empty());
  a.release_all(table);
  EXPECT_EQ(a.free_count(), 8);
  EXPECT_EQ(a.cached_count(), 2);
  EXPECT_EQ(a.cached_free_count(), 2);
  // Cached blocks survive while clean ones remain, then are evicted LRU.
  std::vector<int32_t> fill;
  for (int i = 0; i < 6; ++i) fill.push_back(*a.allocate());
  EXPECT_EQ(a.match_prefix(h, tokens).size(), 2u);
  fill.push_back(*a.allocate());  // evicts one cached block
  EXPECT_EQ(a.cached_count(), 1);
  EXPECT_FALSE(a.allocate() == std::nullopt);
  EXPECT_EQ(a.cached_count(), 0);
  EXPECT_TRUE(a.match_prefix(h, tokens).empty());
}

TEST(KvBlockAllocator, DisabledCacheNeverMatches) {
  KvBlockAllocator a(4, 4, false);
  const auto tokens = seq_tokens(8, 0);
  auto b = *a.allocate();
  a.register_full_block(b, hashes_of(tokens, 4)[0], std::span(tokens).subspan(0, 4), -1);
  EXPECT_EQ(a.cached_count(), 0);
  EXPECT_TRUE(a.match_prefix(hashes_of(tokens, 4), tokens).empty());
}

TEST(KvBlockAllocator, RejectsBadSizes) {
  EXPECT_THROW(KvBlockAllocator(0, 16, true), Error);
  EXPECT_THROW(KvBlockAllocator(4, 0, true), Error);
}

}  // namespace
}  // namespace dsinfer::engine
