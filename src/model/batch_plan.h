// A validated, flattened view of a Batch: one row per token (sequence, position, token id) and
// which rows produce logits. Shared by every architecture's forward().
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "model/batch.h"

namespace dsinfer::model {

struct BatchLimits {
  int64_t n_vocab = 0;
  int64_t ctx_size = 0;  // max positions per sequence
  int64_t block_size = 0;
  int64_t n_blocks = 0;
};

struct BatchPlan {
  int64_t n_tokens = 0;
  std::vector<int32_t> tokens;       // [n_tokens]
  std::vector<int64_t> positions;    // [n_tokens]
  std::vector<int32_t> sequence;     // [n_tokens] index into batch.sequences
  std::vector<int64_t> kv_block;     // [n_tokens] KV block its K/V row is stored in
  std::vector<int64_t> kv_slot;      // [n_tokens] slot within that block
  std::vector<int64_t> first_token;  // per sequence: its first row
  std::vector<int64_t> logit_rows;   // token rows whose logits are returned, in output order
};

// Checks the batch against the limits and flattens it. Throws Error(kInvalidInput) naming the
// sequence (seq_id) and what is wrong: no tokens, token id out of range, negative start_pos,
// positions beyond ctx_size, a block table too short or naming a block outside the pool.
BatchPlan plan_batch(const Batch& batch, const BatchLimits& limits);

// One attention task per sequence: its token rows of q (row stride ldq) and out (row stride
// ldo), its start position and block table.
std::vector<kernels::AttentionTask> attention_tasks(const Batch& batch, const BatchPlan& plan,
                                                    const float* q, int64_t ldq, float* out,
                                                    int64_t ldo);

// Fills logits.n_vocab, first_row and row_count per sequence (data is left to the caller).
void init_logits_layout(const Batch& batch, int64_t n_vocab, Logits& logits);

}  // namespace dsinfer::model
