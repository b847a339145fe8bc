// Golden logits: every llama / qwen2 case of ../shared/fixtures/golden/manifest.json, compared
// exactly as its compare_rule says (prompt logits max |diff| <= tolerance; greedy tokens up to the
// first near-tie, with gen_logits rows within tolerance while compared). Also: a batch of several
// sequences equals each alone, and chunked prefill equals whole-prompt prefill.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "kernels/isa.h"
#include "model/model.h"
#include "support/batch_check.h"
#include "support/fixtures.h"
#include "support/golden_models.h"
#include "support/logits_compare.h"

namespace dsinfer {
namespace {

using test::argmax;
using test::max_abs_diff;
using test::read_floats;

using model::Batch;
using model::BatchSequence;
using model::Logits;
using model::Model;

constexpr int64_t kBlockSize = 16;
constexpr int64_t kCtx = 1024;

class ModelLogitsGolden : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { models_ = std::make_unique<test::SuiteModels>(); }
  static void TearDownTestSuite() { models_.reset(); }

  static test::TestModel& load(const std::string& path) {
    model::ModelOptions opt;
    opt.kv_block_size = kBlockSize;
    opt.ctx_size = kCtx;
    opt.kv_blocks = 8 * kCtx / kBlockSize;
    return models_->get(path, test::cpu_model(opt));
  }

  static std::unique_ptr<test::SuiteModels> models_;
};

std::unique_ptr<test::SuiteModels> ModelLogitsGolden::models_;

TEST_F(ModelLogitsGolden, EveryLlamaAndQwen2CasePasses) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  const auto isa = kernels::isa_name(kernels::selected_isa());
  std::printf("golden model logits: kernels ISA = %s (available: %s)\n", isa,
              kernels::available_isas_text().c_str());
  RecordProperty("isa", isa);
  const auto manifest = test::load_golden_manifest(fixtures);
  int expected = 0;
  int ran = 0;
  for (const auto& c : manifest.at("cases")) {
    if (!test::is_dense_case(c)) continue;
    ++expected;
    const std::string id = c.at("id");
    SCOPED_TRACE(id);
    test::TestModel& m = load(fixtures + "/golden/" + c.at("model_file").get<std::string>());
    const int64_t n_vocab = c.at("n_vocab");
    ASSERT_EQ(m.model->info().n_vocab, n_vocab);
    const double tol = c.at("recommended_tolerance_max_abs");
    const auto prompt = c.at("prompt_tokens").get<std::vector<int32_t>>();
    const auto golden = read_floats(fixtures + "/golden/" + c.at("logits_file").get<std::string>());
    const auto gen_golden =
        read_floats(fixtures + "/golden/" + c.at("gen_logits_file").get<std::string>());
    const auto expected_tokens = c.at("expected_greedy_tokens").get<std::vector<int64_t>>();
    const auto margins = c.at("greedy_top2_margins").get<std::vector<double>>();
    const auto n = static_cast<int64_t>(prompt.size());
    ASSERT_EQ(golden.size(), static_cast<size_t>(n * n_vocab));

    Batch batch;
    BatchSequence seq;
    seq.seq_id = 1;
    seq.tokens = prompt;
    seq.start_pos = 0;
    seq.block_table = m.take_blocks(n + static_cast<int64_t>(expected_tokens.size()));
    seq.want_all_logits = true;
    batch.sequences.push_back(seq);
    Logits out = m.model->forward(batch);
    ASSERT_EQ(out.row_count.at(0), n);
    const double prompt_diff = max_abs_diff(out.data.data(), golden.data(), n * n_vocab);
    EXPECT_LE(prompt_diff, tol) << "prompt logits";

    // Greedy continuation, one token per step through the KV cache.
    std::vector<float> last(out.row(n - 1), out.row(n - 1) + n_vocab);
    const int64_t gen_rows = static_cast<int64_t>(gen_golden.size()) / n_vocab;
    double gen_diff = 0;
    size_t compared = 0;
    for (size_t g = 0; g < expected_tokens.size(); ++g) {
      if (margins[g] < 2 * tol) break;  // near-tie: either choice is legitimate
      if (static_cast<int64_t>(g) < gen_rows) {
        gen_diff =
            std::max(gen_diff, max_abs_diff(last.data(), gen_golden.data() + g * n_vocab, n_vocab));
      }
      const int64_t tok = argmax(last.data(), n_vocab);
      ASSERT_EQ(tok, expected_tokens[g]) << "greedy step " << g;
      ++compared;
      if (g + 1 == expected_tokens.size()) break;
      Batch step;
      BatchSequence s = seq;
      s.tokens = {static_cast<int32_t>(tok)};
      s.start_pos = n + static_cast<int64_t>(g);
      s.want_all_logits = false;
      step.sequences.push_back(s);
      Logits o = m.model->forward(step);
      last.assign(o.row(0), o.row(0) + n_vocab);
    }
    EXPECT_LE(gen_diff, tol) << "gen logits";
    std::printf("  %-40s tol %-6g prompt max|d| %.3g  gen max|d| %.3g  greedy %zu/%zu compared\n",
                id.c_str(), tol, prompt_diff, gen_diff, compared, expected_tokens.size());
    ++ran;
  }
  EXPECT_GT(expected, 0);
  EXPECT_EQ(ran, expected) << "every llama/qwen2 case must run";
}

// Several prompts of one model in one batch (prefill, then decode steps together) give the same
// logits as each prompt alone. Bound: 1e-4 absolute (the kernels treat rows independently, so
// the results are in fact expected to be identical).
TEST_F(ModelLogitsGolden, BatchOfSequencesEqualsEachAlone) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  const auto manifest = test::load_golden_manifest(fixtures);
  // Short prompts only (keeps the suite fast under the scalar ISA too).
  const auto prompts = test::short_prompts_per_model(manifest, test::is_dense_case, 3, 100);
  int models_checked = 0;
  for (const auto& [file, list] : prompts) {
    SCOPED_TRACE(file);
    test::TestModel& m = load(fixtures + "/golden/" + file);
    test::expect_batch_equals_each_alone(*m.model, list, 3, 1e-4,
                                         [&](int64_t n) { return m.take_blocks(n); });
    ++models_checked;
  }
  EXPECT_GT(models_checked, 0);
}

// A prompt fed in chunks of 7 tokens (chunked prefill, KV carried over between steps) gives the
// same per-position logits as the whole prompt in one step. Bound: 1e-4 absolute.
TEST_F(ModelLogitsGolden, ChunkedPrefillEqualsWhole) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  const auto manifest = test::load_golden_manifest(fixtures);
  std::map<std::string, std::vector<int32_t>> longest;  // per model: its longest short prompt
  for (const auto& c : manifest.at("cases")) {
    if (!test::is_dense_case(c)) continue;
    auto p = c.at("prompt_tokens").get<std::vector<int32_t>>();
    if (p.size() > 100) continue;  // keeps the suite fast
    auto& cur = longest[c.at("model_file")];
    if (p.size() > cur.size()) cur = p;
  }
  for (const auto& [file, prompt] : longest) {
    SCOPED_TRACE(file);
    test::TestModel& m = load(fixtures + "/golden/" + file);
    const int64_t n_vocab = m.model->info().n_vocab;
    const auto n = static_cast<int64_t>(prompt.size());
    BatchSequence s;
    s.tokens = prompt;
    s.block_table = m.take_blocks(n);
    s.want_all_logits = true;
    Batch whole;
    whole.sequences = {s};
    const Logits w = m.model->forward(whole);
    s.block_table = m.take_blocks(n);
    for (int64_t start = 0; start < n; start += 7) {
      const int64_t len = std::min<int64_t>(7, n - start);
      BatchSequence c = s;
      c.tokens.assign(prompt.begin() + start, prompt.begin() + start + len);
      c.start_pos = start;
      Batch b;
      b.sequences = {c};
      const Logits o = m.model->forward(b);
      for (int64_t i = 0; i < len; ++i) {
        EXPECT_LE(max_abs_diff(o.row(i), w.row(start + i), n_vocab), 1e-4)
            << "position " << start + i;
      }
    }
  }
}

}  // namespace
}  // namespace dsinfer
