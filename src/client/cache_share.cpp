// Translation-cache and prefix-cache shares of a level.
#include "client/cache_share.h"

#include <algorithm>

namespace dsinfer::client {

std::optional<double> CacheShare::answer_share() const {
  if (translate_responses == 0 || segments <= 0) return std::nullopt;
  return static_cast<double>(cached_segments) / static_cast<double>(segments);
}

std::optional<double> CacheShare::prompt_share() const {
  if (prompt_cache_responses == 0 || prompt_tokens <= 0) return std::nullopt;
  return static_cast<double>(cached_prompt_tokens) / static_cast<double>(prompt_tokens);
}

bool CacheShare::cache_dominated() const {
  const auto share = answer_share();
  return share && *share > kCacheDominatedShare;
}

void add_to_cache_share(CacheShare& share, const RequestRecord& r) {
  if (r.cached_segments) {
    const std::int64_t cached = std::max<std::int64_t>(0, *r.cached_segments);
    const bool generated = r.usage_completion_tokens.value_or(0) > 0;
    std::int64_t segments = 0;
    if (r.segments) {
      segments = std::max(*r.segments, cached);
    } else {
      share.segments_estimated = true;
      segments = std::max<std::int64_t>(1, cached + (generated ? 1 : 0));
    }
    ++share.translate_responses;
    share.segments += segments;
    share.cached_segments += cached;
    if (cached > 0 && cached == segments) ++share.requests_all_cached;
  }
  if (r.usage_cached_prompt_tokens && r.usage_prompt_tokens) {
    ++share.prompt_cache_responses;
    share.prompt_tokens += *r.usage_prompt_tokens;
    share.cached_prompt_tokens += std::min(*r.usage_cached_prompt_tokens, *r.usage_prompt_tokens);
  }
}

}  // namespace dsinfer::client
