// Identity of a full KV block for the prefix cache: a keyed 128-bit chain hash over every token
// of the prefix up to and including the block (SipHash-2-4 with 128-bit output, key drawn once
// per process), so no caller can predict or craft a colliding block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "engine/request.h"

namespace dsinfer::engine {

struct BlockHash {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const BlockHash&) const = default;
};

struct BlockHashKeyHasher {
  size_t operator()(const BlockHash& h) const { return static_cast<size_t>(h.lo ^ h.hi); }
};

// Immutable after construction; thread-safe.
class BlockHasher {
 public:
  // A random key (std::random_device).
  BlockHasher();
  // A fixed key (tests).
  BlockHasher(uint64_t k0, uint64_t k1) : k0_(k0), k1_(k1) {}

  // Hash of a block given its parent's hash (the root's for the first block).
  BlockHash chain(const BlockHash& parent, std::span<const TokenId> block_tokens) const;
  // The parent of the first block.
  BlockHash root() const { return chain({}, {}); }

  // SipHash-2-4 with 128-bit output of `bytes` (exposed for its test vectors).
  BlockHash siphash128(std::span<const uint8_t> bytes) const;

 private:
  uint64_t k0_;
  uint64_t k1_;
};

}  // namespace dsinfer::engine
