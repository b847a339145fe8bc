// Picks the next token from one row of logits: penalties, greedy or temperature / top-k / top-p /
// min-p sampling with a per-request seeded RNG (the same seed gives the same choices).
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/request.h"

namespace dsinfer::engine {

// Deterministic 64-bit RNG (splitmix64 seeding + xoshiro256**); identical on every platform.
class SamplerRng {
 public:
  explicit SamplerRng(uint64_t seed);
  uint64_t next_u64();
  double next_unit();  // uniform in [0, 1)

 private:
  uint64_t s_[4];
};

// One per sequence: owns the RNG state and the counts of generated tokens for penalties.
// Not thread-safe (used on the engine thread only).
class Sampler {
 public:
  // Throws Error(kInvalidInput) naming the field for an out-of-range parameter.
  Sampler(const SamplingParams& params, uint64_t seed);

  // Validates params without building a sampler (same errors as the constructor).
  static void validate(const SamplingParams& params);

  // Records tokens for the penalties: prompt tokens (repetition penalty only) and generated ones.
  void add_prompt_tokens(std::span<const TokenId> tokens);
  void add_generated_token(TokenId token);

  // Picks a token from `logits` (n_vocab floats; not modified). Greedy when temperature <= 0:
  // the largest penalised logit, ties going to the lowest id.
  TokenId sample(std::span<const float> logits);

  const SamplingParams& params() const { return params_; }

 private:
  bool has_penalties() const;
  void apply_penalties(std::vector<float>& logits) const;

  SamplingParams params_;
  SamplerRng rng_;
  std::unordered_map<TokenId, int32_t> generated_counts_;
  std::unordered_set<TokenId> prompt_seen_;
  std::vector<float> scratch_;
  std::vector<std::pair<float, TokenId>> candidates_;
};

}  // namespace dsinfer::engine
