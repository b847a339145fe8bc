// Test helper: N sequences in one batch give the logits each gives alone (prefill, then greedy
// decode steps), for any model::Model.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "model/batch.h"
#include "model/model.h"
#include "support/logits_compare.h"

namespace dsinfer::test {

// Runs each prompt alone (its prefill, then `steps` greedy decode steps), then all prompts in one
// batch per step (feeding each sequence the tokens it chose alone), and expects every batched row
// within `bound` (max |diff|) of the row alone. `take_blocks(n_positions)` hands out KV block ids.
inline void expect_batch_equals_each_alone(
    model::Model& m, const std::vector<std::vector<int32_t>>& prompts, int steps, double bound,
    const std::function<std::vector<int32_t>(int64_t)>& take_blocks) {
  const int64_t n_vocab = m.info().n_vocab;
  std::vector<std::vector<float>> alone;  // per prompt: last prompt row + `steps` decode rows
  std::vector<std::vector<int32_t>> next_tokens;
  for (const auto& p : prompts) {
    std::vector<float> rows;
    std::vector<int32_t> toks;
    model::BatchSequence s;
    s.tokens = p;
    s.block_table = take_blocks(static_cast<int64_t>(p.size()) + steps);
    model::Batch b;
    b.sequences = {s};
    model::Logits o = m.forward(b);
    for (int step = 0; step <= steps; ++step) {
      rows.insert(rows.end(), o.row(0), o.row(0) + n_vocab);
      if (step == steps) break;
      const auto tok = static_cast<int32_t>(argmax(o.row(0), n_vocab));
      toks.push_back(tok);
      s.start_pos += static_cast<int64_t>(s.tokens.size());
      s.tokens = {tok};
      b.sequences = {s};
      o = m.forward(b);
    }
    alone.push_back(std::move(rows));
    next_tokens.push_back(std::move(toks));
  }
  // Together: one prefill batch with every prompt, then decode steps with every sequence.
  model::Batch b;
  for (size_t i = 0; i < prompts.size(); ++i) {
    model::BatchSequence s;
    s.seq_id = static_cast<int64_t>(i);
    s.tokens = prompts[i];
    s.block_table = take_blocks(static_cast<int64_t>(prompts[i].size()) + steps);
    b.sequences.push_back(s);
  }
  for (int step = 0; step <= steps; ++step) {
    const model::Logits o = m.forward(b);
    for (size_t i = 0; i < prompts.size(); ++i) {
      const double d =
          max_abs_diff(o.row(o.first_row[i]), alone[i].data() + step * n_vocab, n_vocab);
      EXPECT_LE(d, bound) << "sequence " << i << " step " << step;
    }
    for (size_t i = 0; i < prompts.size() && step < steps; ++i) {
      auto& s = b.sequences[i];
      s.start_pos += static_cast<int64_t>(s.tokens.size());
      s.tokens = {next_tokens[i][static_cast<size_t>(step)]};
    }
  }
}

}  // namespace dsinfer::test
