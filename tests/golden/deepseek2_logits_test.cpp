// Golden logits of the deepseek2 architecture: every deepseek2 case of
// ../shared/fixtures/golden/manifest.json under its MoE compare_rule (>= 95 % of prompt positions
// with row max |diff| <= tolerance; greedy tokens up to the first near-tie). Also: a batch of
// sequences equals each alone, and the KV pool stores (kv_lora_rank + rope dims) F16 per layer.
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
#include "model/deepseek2_model.h"
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

constexpr int64_t kBlockSize = 16;
constexpr int64_t kCtx = 512;

class Deepseek2Golden : public ::testing::Test {
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
  static bool is_deepseek2(const nlohmann::json& c) { return c.at("arch") == "deepseek2"; }
  static std::vector<nlohmann::json> cases(const std::string& fixtures) {
    const nlohmann::json manifest = test::load_golden_manifest(fixtures);
    std::vector<nlohmann::json> out;
    for (const auto& c : manifest.at("cases")) {
      if (is_deepseek2(c)) out.push_back(c);
    }
    return out;
  }
  static std::unique_ptr<test::SuiteModels> models_;
};

std::unique_ptr<test::SuiteModels> Deepseek2Golden::models_;

TEST_F(Deepseek2Golden, EveryDeepseek2CasePasses) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  const auto all = cases(fixtures);
  std::map<std::string, int> per_variant;  // "dsv2lite"/"dsv3" x dtype
  int ran = 0;
  for (const auto& c : all) {
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
    const auto expected = c.at("expected_greedy_tokens").get<std::vector<int64_t>>();
    const auto margins = c.at("greedy_top2_margins").get<std::vector<double>>();
    const auto n = static_cast<int64_t>(prompt.size());
    ASSERT_EQ(golden.size(), static_cast<size_t>(n * n_vocab));

    BatchSequence seq;
    seq.seq_id = 1;
    seq.tokens = prompt;
    seq.block_table = m.take_blocks(n + static_cast<int64_t>(expected.size()));
    seq.want_all_logits = true;
    Batch batch;
    batch.sequences.push_back(seq);
    const Logits out = m.model->forward(batch);
    ASSERT_EQ(out.row_count.at(0), n);
    int64_t within = 0;
    double worst = 0;
    for (int64_t r = 0; r < n; ++r) {
      const double d = max_abs_diff(out.row(r), golden.data() + r * n_vocab, n_vocab);
      worst = std::max(worst, d);
      if (d <= tol) ++within;
    }
    EXPECT_GE(within * 100, n * 95) << within << " of " << n << " positions within " << tol;

    std::vector<float> last(out.row(n - 1), out.row(n - 1) + n_vocab);
    const int64_t gen_rows = static_cast<int64_t>(gen_golden.size()) / n_vocab;
    double gen_diff = 0;
    size_t compared = 0;
    for (size_t g = 0; g < expected.size(); ++g) {
      if (margins[g] < 2 * tol) break;  // near-tie: either choice is legitimate
      if (static_cast<int64_t>(g) < gen_rows) {
        gen_diff =
            std::max(gen_diff, max_abs_diff(last.data(), gen_golden.data() + g * n_vocab, n_vocab));
      }
      const int64_t tok = argmax(last.data(), n_vocab);
      ASSERT_EQ(tok, expected[g]) << "greedy step " << g;
      ++compared;
      if (g + 1 == expected.size()) break;
      BatchSequence s = seq;
      s.tokens = {static_cast<int32_t>(tok)};
      s.start_pos = n + static_cast<int64_t>(g);
      s.want_all_logits = false;
      Batch step;
      step.sequences.push_back(s);
      const Logits o = m.model->forward(step);
      last.assign(o.row(0), o.row(0) + n_vocab);
    }
    std::printf(
        "  %-44s tol %-5g within %3lld/%-3lld worst %.3g  gen max|d| %.3g  greedy %zu/%zu\n",
        id.c_str(), tol, static_cast<long long>(within), static_cast<long long>(n), worst, gen_diff,
        compared, expected.size());
    const std::string file = c.at("model_file");
    ++per_variant[file];
    ++ran;
  }
  EXPECT_GT(ran, 0);
  EXPECT_EQ(ran, static_cast<int>(all.size())) << "every deepseek2 case must run";
  bool v2 = false;
  bool v3 = false;
  for (const auto& [file, count] : per_variant) {
    v2 = v2 || file.find("dsv2lite") != std::string::npos;
    v3 = v3 || file.find("dsv3") != std::string::npos;
  }
  EXPECT_TRUE(v2 && v3) << "both V2-Lite-like and V3-like models must be covered";
}

// Several prompts in one batch (prefill together, then decode steps together) equal each alone.
TEST_F(Deepseek2Golden, BatchOfSequencesEqualsEachAlone) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  const auto prompts =
      test::short_prompts_per_model(test::load_golden_manifest(fixtures), is_deepseek2, 3, 100);
  ASSERT_FALSE(prompts.empty());
  for (const auto& [file, list] : prompts) {
    SCOPED_TRACE(file);
    test::TestModel& m = load(fixtures + "/golden/" + file);
    test::expect_batch_equals_each_alone(*m.model, list, 3, 1e-4,
                                         [&](int64_t n) { return m.take_blocks(n); });
  }
}

// The pool stores only the compressed latent plus the RoPE key per token and layer, in F16.
TEST_F(Deepseek2Golden, KvBytesPerTokenAreLatentPlusRopeKey) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  std::map<std::string, bool> seen;
  for (const auto& c : cases(fixtures)) {
    const std::string file = c.at("model_file");
    if (seen[file]) continue;
    seen[file] = true;
    SCOPED_TRACE(file);
    test::TestModel& m = load(fixtures + "/golden/" + file);
    const auto* ds = dynamic_cast<const model::Deepseek2Model*>(m.model.get());
    ASSERT_NE(ds, nullptr);
    const auto& hp = ds->hparams();
    const int64_t expected = (hp.kv_lora_rank + hp.head_dim_rope) * hp.base.n_layer * 2;
    EXPECT_EQ(ds->kv_pool_bytes_per_token(), expected);
    EXPECT_EQ(m.model->info().kv_bytes_per_token, expected);
  }
}

}  // namespace
}  // namespace dsinfer
