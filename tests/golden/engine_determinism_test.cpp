// Engine on the tiny fixture models: greedy output through the engine matches the reference's
// expected_greedy_tokens (under the manifest's compare rule), and is identical whether a request
// runs alone or interleaved with others, under small step budgets, with the prefix cache on or
// off, and after preemption / recompute.
#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/engine_loader.h"
#include "engine/request_stream.h"
#include "model/architecture.h"
#include "support/fixtures.h"

namespace dsinfer::engine {
namespace {

struct Case {
  std::string id;
  std::vector<TokenId> prompt;
  std::vector<TokenId> expected;
  std::vector<double> margins;
  double tolerance = 0;
};

constexpr int64_t kGen = 32;

std::map<std::string, std::vector<Case>> cases_by_model(const std::string& fixtures) {
  std::ifstream in(fixtures + "/golden/manifest.json");
  const auto manifest = nlohmann::json::parse(in);
  std::map<std::string, std::vector<Case>> out;
  for (const auto& c : manifest.at("cases")) {
    const std::string arch = c.at("arch");
    if (arch != "llama" && arch != "qwen2") continue;
    Case k;
    k.id = c.at("id");
    k.prompt = c.at("prompt_tokens").get<std::vector<TokenId>>();
    k.expected = c.at("expected_greedy_tokens").get<std::vector<TokenId>>();
    k.margins = c.at("greedy_top2_margins").get<std::vector<double>>();
    k.tolerance = c.at("recommended_tolerance_max_abs");
    out[fixtures + "/golden/" + c.at("model_file").get<std::string>()].push_back(std::move(k));
  }
  return out;
}

// Runs `prompts` concurrently (submitted together) and returns each one's generated tokens.
std::vector<std::vector<TokenId>> run_all(Engine& engine,
                                          const std::vector<std::vector<TokenId>>& prompts,
                                          const std::vector<int64_t>& lengths) {
  std::vector<std::unique_ptr<RequestStream>> streams;
  for (size_t i = 0; i < prompts.size(); ++i) {
    Request r;
    r.prompt_tokens = prompts[i];
    r.max_tokens = lengths[i];
    r.ignore_eos = true;  // the reference does not treat EOS specially
    streams.push_back(std::make_unique<RequestStream>());
    engine.submit(std::move(r), streams.back()->sink());
  }
  std::vector<std::vector<TokenId>> out;
  for (auto& s : streams) {
    std::vector<TokenId> tokens;
    while (auto e = s->next()) {
      EXPECT_NE(e->type, EventType::kError) << e->error_message;
      tokens.insert(tokens.end(), e->tokens.begin(), e->tokens.end());
    }
    out.push_back(std::move(tokens));
  }
  return out;
}

std::unique_ptr<LoadedEngine> open_engine(const std::string& path, EngineConfig cfg,
                                          int64_t pool_tokens) {
  auto file = gguf::GgufFile::open(path);
  const int64_t per_token = model::read_architecture_facts(*file).kv_bytes_per_token;
  cfg.kv_cache_mem = std::to_string(per_token * pool_tokens);
  cfg.ctx_size = std::min<int64_t>(512, pool_tokens);
  cfg.max_waiting = 1000;
  return load_engine(path, cfg, 2);
}

TEST(EngineGolden, GreedyMatchesReferenceAndIsScheduleIndependent) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  const auto models = cases_by_model(fixtures);
  ASSERT_FALSE(models.empty());
  int compared_models = 0;
  int mixed_models = 0;
  for (const auto& [path, cases] : models) {
    SCOPED_TRACE(path);
    // Alone: one request at a time, default settings.
    auto alone_engine = open_engine(path, EngineConfig{}, 4096);
    std::vector<std::vector<TokenId>> alone;
    for (const auto& c : cases) {
      alone.push_back(run_all(*alone_engine->engine, {c.prompt}, {kGen})[0]);
      const auto& got = alone.back();
      ASSERT_EQ(got.size(), static_cast<size_t>(kGen)) << c.id;
      // Compare rule: up to the first step whose top-2 margin is below 2 x tolerance.
      for (size_t g = 0; g < c.expected.size() && g < got.size(); ++g) {
        if (c.margins[g] < 2 * c.tolerance) break;
        ASSERT_EQ(got[g], c.expected[g]) << c.id << " step " << g;
      }
    }
    alone_engine.reset();
    ++compared_models;

    // Interleaved: every case plus shorter/longer copies and prefix-sharing variants, submitted
    // together; the original cases must reproduce their alone output exactly.
    std::vector<std::vector<TokenId>> prompts;
    std::vector<int64_t> lengths;
    for (const auto& c : cases) {
      prompts.push_back(c.prompt);
      lengths.push_back(kGen);
    }
    for (size_t i = 0; i < cases.size(); ++i) {
      auto variant = cases[i].prompt;
      variant.push_back(cases[(i + 1) % cases.size()].prompt.back());
      prompts.push_back(variant);
      lengths.push_back(5 + static_cast<int64_t>(i) * 7);
      prompts.push_back(cases[i].prompt);  // an exact duplicate (prefix cache hit)
      lengths.push_back(3 + static_cast<int64_t>(i));
    }
    struct Variant {
      int64_t budget;
      bool prefix_cache;
      int64_t pool_tokens;  // small pools force preemption
    };
    // Scheduling variants on a few models of each family (the reference check above covers all).
    const bool mix = path.find("F32") != std::string::npos ||
                     path.find("F16") != std::string::npos ||
                     path.find("Q4_K_M") != std::string::npos;
    if (!mix) continue;
    ++mixed_models;
    // Smallest pool that still holds the longest request: running them all must preempt.
    int64_t small_pool = 0;
    for (size_t i = 0; i < prompts.size(); ++i) {
      small_pool =
          std::max<int64_t>(small_pool, static_cast<int64_t>(prompts[i].size()) + lengths[i]);
    }
    small_pool = (small_pool + 15) / 16 * 16;
    int64_t preemptions = 0;
    for (const Variant& v : {Variant{64, true, 4096}, Variant{7, false, 4096},
                             Variant{48, true, small_pool}, Variant{512, false, small_pool}}) {
      EngineConfig cfg;
      cfg.max_batched_tokens = v.budget;
      cfg.prefix_cache = v.prefix_cache;
      auto mixed_engine = open_engine(path, cfg, v.pool_tokens);
      const auto mixed = run_all(*mixed_engine->engine, prompts, lengths);
      for (size_t i = 0; i < cases.size(); ++i) {
        EXPECT_EQ(mixed[i], alone[i]) << cases[i].id << ": budget " << v.budget << ", prefix cache "
                                      << v.prefix_cache << ", pool " << v.pool_tokens;
      }
      for (size_t i = cases.size() + 1; i < prompts.size(); i += 2) {
        const auto& orig = alone[(i - cases.size() - 1) / 2];
        EXPECT_EQ(mixed[i], std::vector<TokenId>(orig.begin(), orig.begin() + lengths[i]))
            << "duplicate of case " << (i - cases.size() - 1) / 2;
      }
      const auto st = mixed_engine->engine->stats();
      EXPECT_EQ(st.kv_blocks_used, 0);
      if (v.pool_tokens < 1000) preemptions += st.preemptions;
    }
    EXPECT_GT(preemptions, 0) << "the small pools were meant to run out";
  }
  EXPECT_EQ(compared_models, 11);  // 4 llama + 7 qwen2 model files
  EXPECT_GE(mixed_models, 4);
}

}  // namespace
}  // namespace dsinfer::engine
