// The prefix cache cannot mix users: a block's identity is a keyed 128-bit chain hash of the
// whole prefix, and a hit verifies the whole prefix (each cached block records the exact cached
// block it was computed after), so even a colliding hash cannot serve another prompt's KV.
#include <gtest/gtest.h>

#include <set>

#include "engine/block_hash.h"
#include "engine/kv_block_allocator.h"

namespace dsinfer::engine {
namespace {

TEST(BlockHasher, SipHash128ReferenceVectors) {
  // The reference implementation's vectors: key 00 01 .. 0f, messages 00 01 .. (n - 1).
  const BlockHasher h(0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL);
  std::vector<uint8_t> msg;
  const BlockHash empty = h.siphash128(msg);
  EXPECT_EQ(empty.lo, 0xe6a825ba047f81a3ULL);
  EXPECT_EQ(empty.hi, 0x930255c71472f66dULL);
  for (uint8_t i = 0; i < 15; ++i) msg.push_back(i);
  const BlockHash fifteen = h.siphash128(msg);
  EXPECT_NE(fifteen, empty);
}

TEST(BlockHasher, KeyedChainOverTheWholePrefix) {
  const BlockHasher a;
  const BlockHasher b;
  const std::vector<TokenId> block = {1, 2, 3, 4};
  EXPECT_NE(a.chain(a.root(), block), b.chain(b.root(), block));  // a key per process
  const BlockHash p1 = a.chain(a.root(), std::vector<TokenId>{9, 9, 9, 9});
  const BlockHash p2 = a.chain(a.root(), std::vector<TokenId>{9, 9, 9, 8});
  EXPECT_NE(a.chain(p1, block), a.chain(p2, block));  // same block, other prefix
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (TokenId t = 0; t < 5000; ++t) {
    const BlockHash x = a.chain(a.root(), std::vector<TokenId>{t});
    EXPECT_TRUE(seen.emplace(x.lo, x.hi).second);
  }
}

// NOTE: the attack the old scheme allowed. Block identities are given by hand, so the second
// block of two different prompts carries the same identity (what a crafted collision of the
// old unkeyed 64-bit hash produced); only the block's own tokens were compared on a hit.
TEST(PrefixCacheIdentity, CollidingHashCannotServeForeignKv) {
  const int64_t bs = 4;
  KvBlockAllocator cache(8, bs, true);
  const std::vector<TokenId> victim = {10, 11, 12, 13, 20, 21, 22, 23};
  const std::vector<TokenId> attacker = {30, 31, 32, 33, 20, 21, 22, 23};
  const BlockHash v0{1, 1};
  const BlockHash a0{2, 2};
  const BlockHash shared{3, 3};  // the collision

  // The victim's prompt is computed and cached: blocks V0, V1 (V1's KV depends on V0).
  std::vector<int32_t> vt = {*cache.allocate(), *cache.allocate()};
  cache.register_full_block(vt[0], v0, std::span(victim).first(4), -1);
  cache.register_full_block(vt[1], shared, std::span(victim).subspan(4), vt[0]);
  // The attacker's first block is cached too (an earlier request of theirs).
  std::vector<int32_t> at = {*cache.allocate()};
  cache.register_full_block(at[0], a0, std::span(attacker).first(4), -1);

  // The attacker's prompt: its own first block hits, the victim's V1 must not.
  const std::vector<BlockHash> attack_hashes = {a0, shared};
  const auto hit = cache.match_prefix(attack_hashes, attacker);
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(hit[0], at[0]);
  // The victim's own prompt still hits both.
  EXPECT_EQ(cache.match_prefix(std::vector<BlockHash>{v0, shared}, victim), vt);
  cache.release_all(vt);
  cache.release_all(at);
}

TEST(PrefixCacheIdentity, ReusedParentBlockInvalidatesItsChildren) {
  const int64_t bs = 2;
  KvBlockAllocator cache(2, bs, true);
  const std::vector<TokenId> first = {1, 2, 3, 4};
  std::vector<int32_t> t = {*cache.allocate(), *cache.allocate()};
  cache.register_full_block(t[0], BlockHash{1, 0}, std::span(first).first(2), -1);
  cache.register_full_block(t[1], BlockHash{2, 0}, std::span(first).subspan(2), t[0]);
  cache.release(t[0]);  // both cached and unreferenced; the parent is least recently used
  cache.release(t[1]);
  // The parent's block id is evicted and reused for other content that registers the same
  // identity (a collision): the child, computed after the old content, must not hit.
  const int32_t reused = *cache.allocate();
  ASSERT_EQ(reused, t[0]);
  const std::vector<TokenId> second = {1, 2, 3, 4};
  cache.register_full_block(reused, BlockHash{1, 0}, std::span(second).first(2), -1);
  const auto hit = cache.match_prefix(std::vector<BlockHash>{{1, 0}, {2, 0}}, second);
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(hit[0], reused);
  cache.release(reused);
}

}  // namespace
}  // namespace dsinfer::engine
