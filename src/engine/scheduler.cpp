// Continuous-batching step planner: decode first, then chunked prefill, then admission with the
// prefix cache; preemption (free and recompute) when KV blocks run out.
#include "engine/scheduler.h"

#include <algorithm>
#include <span>

#include "base/error.h"

namespace dsinfer::engine {

bool Scheduler::Order::operator()(const Sequence* a, const Sequence* b) const {
  if (a->request.priority != b->request.priority) return a->request.priority < b->request.priority;
  return a->arrival < b->arrival;
}

Scheduler::Scheduler(const SchedulerConfig& config, KvBlockAllocator& allocator)
    : config_(config), allocator_(allocator) {
  if (config.max_batched_tokens < 1) {
    fail(ErrorKind::kInvalidInput, "max-batched-tokens must be >= 1, got {}",
         config.max_batched_tokens);
  }
  if (config.max_running < 1) {
    fail(ErrorKind::kInvalidInput, "max-running must be >= 1, got {}", config.max_running);
  }
}

void Scheduler::add(Sequence* seq) {
  seq->state = SequenceState::kWaiting;
  waiting_.insert(seq);
}

void Scheduler::remove(Sequence* seq) {
  if (seq->state == SequenceState::kWaiting) {
    waiting_.erase(seq);
  } else if (seq->state == SequenceState::kRunning) {
    running_.erase(std::find(running_.begin(), running_.end(), seq));
  }
  allocator_.release_all(seq->block_table);
  seq->state = SequenceState::kFinished;
}

int64_t Scheduler::blocks_for(int64_t n_tokens) const {
  const int64_t bs = allocator_.block_size();
  return (n_tokens + bs - 1) / bs;
}

bool Scheduler::grow_table(Sequence* seq, int64_t n_tokens) {
  const int64_t need = blocks_for(n_tokens) - static_cast<int64_t>(seq->block_table.size());
  if (need <= 0) return true;
  if (allocator_.free_count() < need) return false;
  for (int64_t i = 0; i < need; ++i) seq->block_table.push_back(*allocator_.allocate());
  return true;
}

Sequence* Scheduler::newest_running() const {
  Sequence* newest = nullptr;
  for (Sequence* s : running_) {
    if (newest == nullptr || Order{}(newest, s)) newest = s;
  }
  return newest;
}

void Scheduler::preempt(Sequence* seq, StepPlan& plan, int64_t& budget) {
  auto it = std::find_if(plan.chunks.begin(), plan.chunks.end(),
                         [seq](const ScheduledChunk& c) { return c.seq == seq; });
  if (it != plan.chunks.end()) {
    budget += it->count;
    plan.total_tokens -= it->count;
    plan.chunks.erase(it);
  }
  running_.erase(std::find(running_.begin(), running_.end(), seq));
  allocator_.release_all(seq->block_table);
  seq->num_computed = 0;
  seq->num_registered = 0;
  ++seq->preemptions;
  ++plan.preempted;
  add(seq);
}

bool Scheduler::try_admit(Sequence* seq, StepPlan& plan, int64_t& budget) {
  const int64_t bs = allocator_.block_size();
  // NOTE: at least the last token is always computed (its logits are needed), so at most
  // floor((n - 1) / bs) leading full blocks can come from the prefix cache.
  const int64_t max_cached_blocks = (seq->num_tokens() - 1) / bs;
  std::vector<int32_t> cached;
  if (allocator_.prefix_cache_enabled() && max_cached_blocks > 0) {
    const auto& hashes = seq->block_hashes_upto(max_cached_blocks, bs, allocator_.hasher());
    cached = allocator_.match_prefix(
        std::span(hashes).first(static_cast<size_t>(max_cached_blocks)), seq->tokens);
  }
  const int64_t cached_tokens = static_cast<int64_t>(cached.size()) * bs;
  const int64_t count = std::min(seq->num_tokens() - cached_tokens, budget);
  int64_t idle_cached = 0;  // cached blocks nobody references: taking them lowers free_count
  for (int32_t b : cached) idle_cached += allocator_.ref_count(b) == 0 ? 1 : 0;
  const int64_t new_blocks =
      blocks_for(cached_tokens + count) - static_cast<int64_t>(cached.size());
  if (allocator_.free_count() - idle_cached < new_blocks) return false;

  for (int32_t b : cached) allocator_.acquire_cached(b);
  seq->block_table = std::move(cached);
  grow_table(seq, cached_tokens + count);
  seq->num_computed = cached_tokens;
  seq->num_registered = static_cast<int64_t>(seq->block_table.size()) > 0 ? cached_tokens / bs : 0;
  plan.cache_query += seq->num_tokens();
  plan.cache_hit += cached_tokens;
  if (!seq->admitted_once) {
    seq->usage.cached_prompt_tokens = std::min(cached_tokens, seq->prompt_len);
    seq->admitted_once = true;
  }
  waiting_.erase(seq);
  seq->state = SequenceState::kRunning;
  running_.push_back(seq);
  plan.chunks.push_back({seq, seq->num_computed, count});
  plan.total_tokens += count;
  budget -= count;
  return true;
}

// NOTE: sequences that share a prompt prefix (a translation instruction, a repeated request)
// often arrive together. Admitted in the same step, each computes the shared blocks itself (a
// block reaches the prefix cache only after the step that computed it); held back until the
// first one's blocks are registered, the others find them cached: the step loses nothing (its
// budget goes to other chunks or it is shorter) and the prefix is computed once. The wait ends:
// the running sequence's prefill goes before any admission, and a preempted one is no longer
// running.
bool Scheduler::prefix_in_flight(Sequence* seq) {
  if (!allocator_.prefix_cache_enabled()) return false;
  const int64_t bs = allocator_.block_size();
  const int64_t max_cached_blocks = (seq->num_tokens() - 1) / bs;  // as in try_admit
  if (max_cached_blocks <= 0) return false;
  const auto& hashes = seq->block_hashes_upto(max_cached_blocks, bs, allocator_.hasher());
  const auto cached = static_cast<int64_t>(
      allocator_
          .match_prefix(std::span(hashes).first(static_cast<size_t>(max_cached_blocks)),
                        seq->tokens)
          .size());
  if (cached >= max_cached_blocks) return false;
  // Block `cached` is the first one missing; a running sequence that has not registered it yet
  // and has the same tokens through it will.
  const auto through = static_cast<ptrdiff_t>((cached + 1) * bs);
  for (const Sequence* r : running_) {
    if (r->num_registered > cached || r->num_tokens() < (cached + 1) * bs) continue;
    if (std::equal(seq->tokens.begin(), seq->tokens.begin() + through, r->tokens.begin())) {
      return true;
    }
  }
  return false;
}

StepPlan Scheduler::schedule() {
  StepPlan plan;
  int64_t budget = config_.max_batched_tokens;

  // Running sequences, oldest first: those decoding (one token left) before those mid-prefill.
  std::vector<Sequence*> order = running_;
  std::stable_sort(order.begin(), order.end(), Order{});
  for (int pass = 0; pass < 2; ++pass) {
    for (Sequence* seq : order) {
      if (budget == 0) break;
      if (seq->state != SequenceState::kRunning) continue;  // preempted earlier in this step
      const int64_t remaining = seq->num_tokens() - seq->num_computed;
      if (remaining <= 0 || (pass == 0) != (remaining == 1)) continue;
      const int64_t count = std::min(remaining, budget);
      // NOTE: out of blocks: preempt the newest running sequence (free its blocks, recompute it
      // later) until this one fits; if this one is the newest it yields itself. Submit-time
      // checks guarantee the oldest sequence alone always fits, so this cannot livelock.
      bool fits = grow_table(seq, seq->num_computed + count);
      while (!fits) {
        Sequence* victim = newest_running();
        preempt(victim, plan, budget);
        if (victim == seq) break;
        fits = grow_table(seq, seq->num_computed + count);
      }
      if (!fits) continue;
      plan.chunks.push_back({seq, seq->num_computed, count});
      plan.total_tokens += count;
      budget -= count;
    }
  }

  // Admission of waiting sequences in (priority, arrival) order; stop at the first that does not
  // fit (no overtaking but by those held back for a prefix in flight), and admit nothing in a
  // step that had to preempt.
  for (auto it = waiting_.begin(); plan.preempted == 0 && budget > 0 && it != waiting_.end() &&
                                   running_count() < config_.max_running;) {
    Sequence* seq = *it++;  // try_admit takes seq out of waiting_: step past it first
    if (prefix_in_flight(seq)) {
      ++plan.deferred;
      continue;
    }
    if (!try_admit(seq, plan, budget)) break;
  }
  return plan;
}

void Scheduler::complete(const StepPlan& plan) {
  const int64_t bs = allocator_.block_size();
  for (const auto& chunk : plan.chunks) {
    Sequence* seq = chunk.seq;
    seq->num_computed = chunk.start + chunk.count;
    const int64_t full = seq->num_computed / bs;
    if (!allocator_.prefix_cache_enabled() || full <= seq->num_registered) continue;
    const auto& hashes = seq->block_hashes_upto(full, bs, allocator_.hasher());
    for (int64_t i = seq->num_registered; i < full; ++i) {
      std::span<const TokenId> block(seq->tokens.data() + i * bs, static_cast<size_t>(bs));
      const int32_t parent = i == 0 ? -1 : seq->block_table[static_cast<size_t>(i - 1)];
      allocator_.register_full_block(seq->block_table[static_cast<size_t>(i)],
                                     hashes[static_cast<size_t>(i)], block, parent);
    }
    seq->num_registered = full;
  }
}

}  // namespace dsinfer::engine
