// How much of a load level the server answered from its caches, from the counts each response
// reports: whole segments from the translation cache (/v1/translate "cached_segments") and
// prompt tokens from the prefix cache (usage.prompt_tokens_details.cached_tokens).
#pragma once

#include <cstdint>
#include <optional>

#include "client/request_record.h"

namespace dsinfer::client {

// A level whose answers came mostly (more than this share) from the translation cache measures
// the cache, not the replica's compute.
inline constexpr double kCacheDominatedShare = 0.5;

struct CacheShare {
  // Translation cache: over the successful responses that reported "cached_segments".
  std::size_t translate_responses = 0;
  std::int64_t segments = 0;  // the server's count; else a lower bound (see add_to_cache_share)
  bool segments_estimated = false;  // some response did not report its segment count
  std::int64_t cached_segments = 0;
  std::size_t requests_all_cached = 0;  // every segment from the cache: no token generated
  // Prefix cache: over the successful responses that reported cached prompt tokens.
  std::size_t prompt_cache_responses = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t cached_prompt_tokens = 0;

  // cached_segments / segments; nullopt when no response reported its translation cache use.
  std::optional<double> answer_share() const;
  // cached_prompt_tokens / prompt_tokens; nullopt when no response reported it.
  std::optional<double> prompt_share() const;
  // answer_share() > kCacheDominatedShare.
  bool cache_dominated() const;
};

// Adds one successful request. NOTE: a server that reports "cached_segments" but not "segments"
// (dsinfer before it did) is counted as cached_segments + 1 segments when the request generated
// tokens, else cached_segments: a lower bound of its segments, so answer_share() is an upper
// bound and a cache-dominated level is never missed.
void add_to_cache_share(CacheShare& share, const RequestRecord& record);

}  // namespace dsinfer::client
