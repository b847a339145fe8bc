// Batch validation and flattening.
#include "model/batch_plan.h"

#include "base/error.h"

namespace dsinfer::model {

BatchPlan plan_batch(const Batch& batch, const BatchLimits& limits) {
  BatchPlan plan;
  if (batch.sequences.empty()) fail(ErrorKind::kInvalidInput, "batch has no sequences");
  plan.first_token.reserve(batch.sequences.size());
  for (size_t s = 0; s < batch.sequences.size(); ++s) {
    const BatchSequence& seq = batch.sequences[s];
    const auto n = static_cast<int64_t>(seq.tokens.size());
    if (n == 0) fail(ErrorKind::kInvalidInput, "batch sequence {} has no tokens", seq.seq_id);
    if (seq.start_pos < 0) {
      fail(ErrorKind::kInvalidInput, "batch sequence {}: start_pos {} < 0", seq.seq_id,
           seq.start_pos);
    }
    const int64_t end = seq.start_pos + n;
    if (end > limits.ctx_size) {
      fail(ErrorKind::kInvalidInput,
           "batch sequence {}: positions up to {} exceed the context size {}", seq.seq_id, end,
           limits.ctx_size);
    }
    const int64_t blocks_needed = (end + limits.block_size - 1) / limits.block_size;
    if (static_cast<int64_t>(seq.block_table.size()) < blocks_needed) {
      fail(ErrorKind::kInvalidInput,
           "batch sequence {}: block table has {} blocks, {} needed for {} positions", seq.seq_id,
           seq.block_table.size(), blocks_needed, end);
    }
    for (int64_t b = 0; b < blocks_needed; ++b) {
      const int32_t id = seq.block_table[static_cast<size_t>(b)];
      if (id < 0 || id >= limits.n_blocks) {
        fail(ErrorKind::kInvalidInput, "batch sequence {}: block id {} outside the pool (0..{})",
             seq.seq_id, id, limits.n_blocks - 1);
      }
    }
    plan.first_token.push_back(plan.n_tokens);
    for (int64_t i = 0; i < n; ++i) {
      const int32_t tok = seq.tokens[static_cast<size_t>(i)];
      if (tok < 0 || tok >= limits.n_vocab) {
        fail(ErrorKind::kInvalidInput,
             "batch sequence {}: token id {} outside the vocabulary (0..{})", seq.seq_id, tok,
             limits.n_vocab - 1);
      }
      plan.tokens.push_back(tok);
      plan.positions.push_back(seq.start_pos + i);
      plan.sequence.push_back(static_cast<int32_t>(s));
      const int64_t pos = seq.start_pos + i;
      plan.kv_block.push_back(seq.block_table[static_cast<size_t>(pos / limits.block_size)]);
      plan.kv_slot.push_back(pos % limits.block_size);
      if (seq.want_all_logits || i == n - 1) plan.logit_rows.push_back(plan.n_tokens);
      ++plan.n_tokens;
    }
  }
  return plan;
}

void init_logits_layout(const Batch& batch, int64_t n_vocab, Logits& logits) {
  logits.n_vocab = n_vocab;
  logits.first_row.clear();
  logits.row_count.clear();
  int64_t row = 0;
  for (size_t s = 0; s < batch.sequences.size(); ++s) {
    const auto& seq = batch.sequences[s];
    const int64_t count = seq.want_all_logits ? static_cast<int64_t>(seq.tokens.size()) : 1;
    logits.first_row.push_back(row);
    logits.row_count.push_back(count);
    row += count;
  }
}

std::vector<kernels::AttentionTask> attention_tasks(const Batch& batch, const BatchPlan& plan,
                                                    const float* q, int64_t ldq, float* out,
                                                    int64_t ldo) {
  std::vector<kernels::AttentionTask> tasks(batch.sequences.size());
  for (size_t s = 0; s < batch.sequences.size(); ++s) {
    const auto& seq = batch.sequences[s];
    const int64_t first = plan.first_token[s];
    auto& t = tasks[s];
    t.q = q + first * ldq;
    t.ldq = ldq;
    t.out = out + first * ldo;
    t.ldo = ldo;
    t.n_tokens = static_cast<int64_t>(seq.tokens.size());
    t.start_pos = seq.start_pos;
    t.block_table = seq.block_table.data();
  }
  return tasks;
}

}  // namespace dsinfer::model
