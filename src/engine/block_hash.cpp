// Keyed chain hash of KV blocks (see block_hash.h).
#include "engine/block_hash.h"

#include <bit>
#include <random>
#include <vector>

namespace dsinfer::engine {

namespace {

struct SipState {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  void absorb(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

uint64_t load_le64(const uint8_t* p, size_t n) {
  uint64_t m = 0;
  for (size_t i = 0; i < n; ++i) m |= static_cast<uint64_t>(p[i]) << (8 * i);
  return m;
}

void put_le64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

BlockHasher::BlockHasher() {
  std::random_device rd;
  k0_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  k1_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

BlockHash BlockHasher::siphash128(std::span<const uint8_t> bytes) const {
  // NOTE: SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012) in its
  // 128-bit output variant: 2 compression rounds per 8-byte word, 4 finalisation rounds per half.
  SipState s{k0_ ^ 0x736f6d6570736575ULL, k1_ ^ 0x646f72616e646f6dULL, k0_ ^ 0x6c7967656e657261ULL,
             k1_ ^ 0x7465646279746573ULL};
  s.v1 ^= 0xee;
  const size_t n = bytes.size();
  const size_t full = n - n % 8;
  for (size_t i = 0; i < full; i += 8) s.absorb(load_le64(bytes.data() + i, 8));
  s.absorb(load_le64(bytes.data() + full, n % 8) | (static_cast<uint64_t>(n & 0xff) << 56));
  s.v2 ^= 0xee;
  for (int i = 0; i < 4; ++i) s.round();
  BlockHash out;
  out.lo = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
  s.v1 ^= 0xdd;
  for (int i = 0; i < 4; ++i) s.round();
  out.hi = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
  return out;
}

BlockHash BlockHasher::chain(const BlockHash& parent, std::span<const TokenId> block_tokens) const {
  std::vector<uint8_t> bytes;
  bytes.reserve(24 + 4 * block_tokens.size());
  put_le64(bytes, parent.lo);
  put_le64(bytes, parent.hi);
  put_le64(bytes, block_tokens.size());
  for (TokenId t : block_tokens) {
    const auto u = static_cast<uint32_t>(t);
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(u >> (8 * i)));
  }
  return siphash128(bytes);
}

}  // namespace dsinfer::engine
