// Sampler: greedy ties, seeded reproducibility, filters that collapse to greedy, penalties,
// parameter validation.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace dsinfer::engine {
namespace {

TEST(Sampler, GreedyPicksMaxAndLowestIdOnTies) {
  Sampler s(SamplingParams{}, 1);
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(s.sample(logits), 1);
  logits = {3.0f, 3.0f};
  EXPECT_EQ(s.sample(logits), 0);
}

TEST(Sampler, SameSeedSameChoices) {
  SamplingParams p;
  p.temperature = 1.5f;
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(i % 7) * 0.3f;
  Sampler a(p, 99), b(p, 99), c(p, 100);
  std::vector<TokenId> ra, rb, rc;
  for (int i = 0; i < 64; ++i) {
    ra.push_back(a.sample(logits));
    rb.push_back(b.sample(logits));
    rc.push_back(c.sample(logits));
  }
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra, rc);
}

TEST(Sampler, FiltersThatKeepOnlyTheBest) {
  std::vector<float> logits = {0.1f, 0.2f, 5.0f, 0.3f, 4.9f};
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 1;
  Sampler k1(p, 3);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(k1.sample(logits), 2);
  p.top_k = 0;
  p.top_p = 0.01f;
  Sampler tp(p, 3);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(tp.sample(logits), 2);
  p.top_p = 1.0f;
  p.min_p = 1.0f;
  Sampler mp(p, 3);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(mp.sample(logits), 2);
}

TEST(Sampler, TopKTwoOnlyEverPicksTheTwoBest) {
  std::vector<float> logits = {0.1f, 0.2f, 5.0f, 0.3f, 4.9f};
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 2;
  Sampler s(p, 7);
  int seen2 = 0, seen4 = 0;
  for (int i = 0; i < 400; ++i) {
    const TokenId t = s.sample(logits);
    ASSERT_TRUE(t == 2 || t == 4);
    (t == 2 ? seen2 : seen4)++;
  }
  EXPECT_GT(seen2, 100);
  EXPECT_GT(seen4, 100);
}

TEST(Sampler, Penalties) {
  std::vector<float> logits = {1.0f, 2.0f, 1.9f};
  SamplingParams p;
  p.repetition_penalty = 1.5f;  // 2.0 -> 1.33 once token 1 was seen
  Sampler rep(p, 1);
  EXPECT_EQ(rep.sample(logits), 1);
  std::vector<TokenId> prompt = {1};
  rep.add_prompt_tokens(prompt);
  EXPECT_EQ(rep.sample(logits), 2);

  SamplingParams f;
  f.frequency_penalty = 0.06f;
  Sampler freq(f, 1);
  freq.add_generated_token(1);
  EXPECT_EQ(freq.sample(logits), 1);  // 2.0 - 0.06 > 1.9
  freq.add_generated_token(1);
  EXPECT_EQ(freq.sample(logits), 2);  // 2.0 - 0.12 < 1.9

  SamplingParams pr;
  pr.presence_penalty = 0.2f;
  Sampler pres(pr, 1);
  pres.add_prompt_tokens(prompt);  // presence counts generated tokens only
  EXPECT_EQ(pres.sample(logits), 1);
  pres.add_generated_token(1);
  EXPECT_EQ(pres.sample(logits), 2);
}

TEST(Sampler, RejectsBadParameters) {
  auto bad = [](auto edit) {
    SamplingParams p;
    edit(p);
    EXPECT_THROW(Sampler::validate(p), Error);
  };
  bad([](SamplingParams& p) { p.temperature = -1; });
  bad([](SamplingParams& p) { p.top_k = -1; });
  bad([](SamplingParams& p) { p.top_p = 0; });
  bad([](SamplingParams& p) { p.top_p = 1.5f; });
  bad([](SamplingParams& p) { p.min_p = 2; });
  bad([](SamplingParams& p) { p.repetition_penalty = 0; });
  bad([](SamplingParams& p) { p.presence_penalty = 3; });
  bad([](SamplingParams& p) { p.frequency_penalty = -3; });
}

}  // namespace
}  // namespace dsinfer::engine
