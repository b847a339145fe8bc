// One forward step's input: tokens of many sequences (prefill chunks and decode tokens mixed),
// each with its position and the KV blocks its sequence owns.
#pragma once

#include <cstdint>
#include <vector>

namespace dsinfer::model {

using TokenId = int32_t;

// A run of consecutive tokens of one sequence in this batch.
struct BatchSequence {
  int64_t seq_id = 0;           // caller's identifier (for logs/tests only)
  std::vector<TokenId> tokens;  // tokens to compute in this step (>= 1)
  int64_t start_pos = 0;        // position of tokens[0]; KV of [0, start_pos) already stored
  std::vector<int32_t>
      block_table;               // KV block ids covering positions [0, start_pos + tokens.size())
  bool want_all_logits = false;  // logits for every token, else only for the last one
};

struct Batch {
  std::vector<BatchSequence> sequences;
  int64_t total_tokens() const {
    int64_t n = 0;
    for (const auto& s : sequences) n += static_cast<int64_t>(s.tokens.size());
    return n;
  }
};

// Logits of a forward step: for each sequence, in batch order, either one row (its last token)
// or one row per token (want_all_logits). rows[i] is n_vocab floats.
struct Logits {
  int64_t n_vocab = 0;
  std::vector<float> data;         // concatenated rows
  std::vector<int64_t> first_row;  // per sequence: index of its first row
  std::vector<int64_t> row_count;  // per sequence: number of rows
  const float* row(int64_t r) const { return data.data() + r * n_vocab; }
};

}  // namespace dsinfer::model
