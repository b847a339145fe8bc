// One request inside the engine: its tokens (prompt + generated), how many of them have KV
// computed, its block table, sampler, stop state and accounting. Owned by the engine thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/block_hash.h"
#include "engine/request.h"
#include "engine/sampler.h"
#include "engine/stop_checker.h"
#include "engine/text_codec.h"

namespace dsinfer::engine {

enum class SequenceState { kWaiting, kRunning, kFinished };

struct Sequence {
  Sequence(RequestId id, uint64_t arrival, Request request, Sampler sampler, EventSink sink);

  int64_t num_tokens() const { return static_cast<int64_t>(tokens.size()); }
  int64_t num_generated() const { return num_tokens() - prompt_len; }
  // True once every token's KV is computed, i.e. the next step must sample.
  bool caught_up() const { return num_computed == num_tokens(); }

  // Chain hashes of the first `n_blocks` full blocks of `tokens` (computed once, cached).
  const std::vector<BlockHash>& block_hashes_upto(int64_t n_blocks, int64_t block_size,
                                                  const BlockHasher& hasher);

  RequestId id;
  uint64_t arrival;  // submission order (FCFS tie-break; kept across preemption)
  Request request;   // prompt_tokens moved into `tokens`
  Sampler sampler;
  EventSink sink;
  std::unique_ptr<PieceDecoder> decoder;  // null without a text codec
  StopChecker stop;

  std::vector<TokenId> tokens;
  int64_t prompt_len = 0;
  int64_t max_tokens = 0;      // resolved (never beyond the context limit)
  int64_t num_computed = 0;    // tokens whose KV is stored in `block_table`
  int64_t num_registered = 0;  // leading full blocks already offered to the prefix cache
  std::vector<int32_t> block_table;
  std::vector<BlockHash> block_hashes;

  SequenceState state = SequenceState::kWaiting;
  bool admitted_once = false;
  int64_t preemptions = 0;
  Usage usage;
  Timing timing;
};

}  // namespace dsinfer::engine
