// Token sampling: penalties, then greedy argmax or temperature / top-k / top-p / min-p sampling.
#include "engine/sampler.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "base/error.h"

namespace dsinfer::engine {

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Larger logit first; equal logits: lower id first (so greedy ties go to the lowest id).
bool better(const std::pair<float, TokenId>& a, const std::pair<float, TokenId>& b) {
  if (a.first != b.first) return a.first > b.first;
  return a.second < b.second;
}

}  // namespace

SamplerRng::SamplerRng(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

uint64_t SamplerRng::next_u64() {
  const uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = std::rotl(s_[3], 45);
  return result;
}

double SamplerRng::next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

void Sampler::validate(const SamplingParams& p) {
  if (!std::isfinite(p.temperature) || p.temperature < 0.0f) {
    fail(ErrorKind::kInvalidInput, "temperature must be >= 0, got {}", p.temperature);
  }
  if (p.top_k < 0) fail(ErrorKind::kInvalidInput, "top_k must be >= 0, got {}", p.top_k);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) {
    fail(ErrorKind::kInvalidInput, "top_p must be in (0, 1], got {}", p.top_p);
  }
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) {
    fail(ErrorKind::kInvalidInput, "min_p must be in [0, 1], got {}", p.min_p);
  }
  if (!(p.repetition_penalty > 0.0f) || !std::isfinite(p.repetition_penalty)) {
    fail(ErrorKind::kInvalidInput, "repetition_penalty must be > 0, got {}", p.repetition_penalty);
  }
  if (!std::isfinite(p.presence_penalty) || std::fabs(p.presence_penalty) > 2.0f) {
    fail(ErrorKind::kInvalidInput, "presence_penalty must be in [-2, 2], got {}",
         p.presence_penalty);
  }
  if (!std::isfinite(p.frequency_penalty) || std::fabs(p.frequency_penalty) > 2.0f) {
    fail(ErrorKind::kInvalidInput, "frequency_penalty must be in [-2, 2], got {}",
         p.frequency_penalty);
  }
}

Sampler::Sampler(const SamplingParams& params, uint64_t seed) : params_(params), rng_(seed) {
  validate(params);
}

void Sampler::add_prompt_tokens(std::span<const TokenId> tokens) {
  if (params_.repetition_penalty == 1.0f) return;
  prompt_seen_.insert(tokens.begin(), tokens.end());
}

void Sampler::add_generated_token(TokenId token) {
  if (has_penalties()) ++generated_counts_[token];
}

bool Sampler::has_penalties() const {
  return params_.repetition_penalty != 1.0f || params_.presence_penalty != 0.0f ||
         params_.frequency_penalty != 0.0f;
}

void Sampler::apply_penalties(std::vector<float>& logits) const {
  const auto n = static_cast<TokenId>(logits.size());
  auto repeat = [&](TokenId t) {
    if (t < 0 || t >= n) return;
    float& l = logits[t];
    l = l > 0.0f ? l / params_.repetition_penalty : l * params_.repetition_penalty;
  };
  if (params_.repetition_penalty != 1.0f) {
    for (TokenId t : prompt_seen_) {
      if (!generated_counts_.contains(t)) repeat(t);
    }
    for (const auto& [t, count] : generated_counts_) repeat(t);
  }
  for (const auto& [t, count] : generated_counts_) {
    if (t < 0 || t >= n) continue;
    logits[t] -= params_.presence_penalty + params_.frequency_penalty * static_cast<float>(count);
  }
}

// NOTE: non-finite logits get a defined meaning before any comparison (a NaN would break the
// sort's ordering): NaN is never sampled (as -inf); +inf beats every finite logit, so when some
// are +inf only those remain, as equals. A row with no finite or +inf logit is an error.
namespace {
void sanitize(std::vector<float>& logits) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  bool any_pos_inf = false;
  bool any_usable = false;
  for (float& l : logits) {
    if (std::isnan(l)) l = neg_inf;
    any_pos_inf = any_pos_inf || (std::isinf(l) && l > 0);
    any_usable = any_usable || l > neg_inf;
  }
  if (!any_usable) {
    fail(ErrorKind::kInternal, "sampler: the logits row has no finite value (NaN or -inf only)");
  }
  if (any_pos_inf) {
    for (float& l : logits) l = std::isinf(l) && l > 0 ? 0.0f : neg_inf;
  }
}
}  // namespace

TokenId Sampler::sample(std::span<const float> logits_in) {
  if (logits_in.empty()) fail(ErrorKind::kInternal, "sampler: empty logits row");
  std::span<const float> logits = logits_in;
  const bool finite =
      std::all_of(logits_in.begin(), logits_in.end(), [](float l) { return std::isfinite(l); });
  if (has_penalties() || !finite) {
    scratch_.assign(logits_in.begin(), logits_in.end());
    if (has_penalties()) apply_penalties(scratch_);
    if (!finite) sanitize(scratch_);
    logits = scratch_;
  }
  const auto n = static_cast<TokenId>(logits.size());
  if (params_.temperature <= 0.0f) {
    TokenId best = 0;
    for (TokenId i = 1; i < n; ++i) {
      if (logits[i] > logits[best]) best = i;  // strict: ties keep the lower id
    }
    return best;
  }

  // NOTE: filters in the usual order (top-k, then softmax at temperature, top-p over the sorted
  // cumulative mass, min-p relative to the best probability), then one uniform draw.
  candidates_.clear();
  candidates_.reserve(logits.size());
  for (TokenId i = 0; i < n; ++i) candidates_.emplace_back(logits[i], i);
  size_t keep = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(keep),
                      candidates_.end(), better);
    candidates_.resize(keep);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), better);
  }
  const double max_logit = candidates_.front().first;
  std::vector<double> probs(candidates_.size());
  double total = 0.0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    probs[i] = std::exp((candidates_[i].first - max_logit) / params_.temperature);
    total += probs[i];
  }
  if (params_.top_p < 1.0f) {
    double cum = 0.0;
    size_t cut = probs.size();
    for (size_t i = 0; i < probs.size(); ++i) {
      cum += probs[i] / total;
      if (cum >= params_.top_p) {
        cut = i + 1;
        break;
      }
    }
    probs.resize(cut);
  }
  if (params_.min_p > 0.0f) {
    const double floor = probs.front() * params_.min_p;  // probs.front() is the best
    size_t cut = 1;
    while (cut < probs.size() && probs[cut] >= floor) ++cut;
    probs.resize(cut);
  }
  total = 0.0;
  for (double p : probs) total += p;
  double r = rng_.next_unit() * total;
  for (size_t i = 0; i < probs.size(); ++i) {
    r -= probs[i];
    if (r < 0.0) return candidates_[i].second;
  }
  return candidates_[probs.size() - 1].second;
}

}  // namespace dsinfer::engine
