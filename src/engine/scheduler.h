// Step scheduler (continuous batching, chunked prefill, preemption), pure policy over the
// sequences and the KV block allocator: each sequence's num_computed catches up with its tokens;
// per step, decode tokens of running sequences first, then prefill chunks, within a token budget.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "engine/kv_block_allocator.h"
#include "engine/sequence.h"

namespace dsinfer::engine {

struct SchedulerConfig {
  int64_t max_batched_tokens = 512;  // tokens computed per step (all sequences together)
  int64_t max_running = 16;          // sequences holding KV blocks at once
};

// One sequence's share of a step: compute tokens [start, start + count).
struct ScheduledChunk {
  Sequence* seq = nullptr;
  int64_t start = 0;
  int64_t count = 0;
};

struct StepPlan {
  std::vector<ScheduledChunk> chunks;  // batch order
  int64_t total_tokens = 0;
  int64_t preempted = 0;    // sequences preempted while planning this step
  int64_t cache_query = 0;  // prompt tokens looked up in the prefix cache this step
  int64_t cache_hit = 0;    // of which found cached
  int64_t deferred = 0;     // waiting sequences held back because their prefix is being computed
  bool empty() const { return chunks.empty(); }
};

// Not thread-safe: owned by the engine thread. Sequences are owned by the caller and must stay
// alive until remove().
class Scheduler {
 public:
  // Throws Error(kInvalidInput) for a non-positive budget or running limit.
  Scheduler(const SchedulerConfig& config, KvBlockAllocator& allocator);

  // Queues a new sequence (state kWaiting, num_computed 0).
  void add(Sequence* seq);
  // Takes a sequence out (waiting or running) and frees its blocks; state becomes kFinished.
  void remove(Sequence* seq);

  // Plans one step: allocates the blocks the planned chunks need, admits waiting sequences (with
  // their cached prefix), preempts the newest running sequences when blocks run out. A waiting
  // sequence whose next uncached prompt block a running sequence is computing (same tokens up to
  // there) waits a step for it to reach the prefix cache (StepPlan::deferred); the sequences
  // behind it may be admitted meanwhile.
  StepPlan schedule();
  // After the forward pass of `plan`: advances num_computed and offers newly full blocks to the
  // prefix cache.
  void complete(const StepPlan& plan);

  int64_t waiting_count() const { return static_cast<int64_t>(waiting_.size()); }
  int64_t running_count() const { return static_cast<int64_t>(running_.size()); }
  const std::vector<Sequence*>& running() const { return running_; }
  const KvBlockAllocator& allocator() const { return allocator_; }

 private:
  struct Order {  // priority ascending, then arrival ascending
    bool operator()(const Sequence* a, const Sequence* b) const;
  };
  int64_t blocks_for(int64_t n_tokens) const;
  bool grow_table(Sequence* seq, int64_t n_tokens);  // false when not enough free blocks
  void preempt(Sequence* seq, StepPlan& plan, int64_t& budget);
  Sequence* newest_running() const;
  bool try_admit(Sequence* seq, StepPlan& plan, int64_t& budget);
  bool prefix_in_flight(Sequence* seq);

  SchedulerConfig config_;
  KvBlockAllocator& allocator_;
  std::set<Sequence*, Order> waiting_;
  std::vector<Sequence*> running_;  // admission order
};

}  // namespace dsinfer::engine
