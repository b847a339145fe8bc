// What the golden suites share: the manifest (../shared/fixtures/golden/manifest.json), the prompts
// they pick from it, and the models they load once per test suite with a trivial KV block
// allocator.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/thread_pool.h"
#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "model/model.h"

namespace dsinfer::test {

inline nlohmann::json load_golden_manifest(const std::string& fixtures) {
  std::ifstream in(fixtures + "/golden/manifest.json");
  return nlohmann::json::parse(in);
}

// llama or qwen2 (the dense architectures; deepseek2 is MoE).
inline bool is_dense_case(const nlohmann::json& c) {
  const std::string arch = c.at("arch");
  return arch == "llama" || arch == "qwen2";
}

// Per model file: the prompts of its first `per_model` cases (of those `keep` accepts) with at
// most `max_tokens` tokens, in manifest order.
inline std::map<std::string, std::vector<std::vector<int32_t>>> short_prompts_per_model(
    const nlohmann::json& manifest, const std::function<bool(const nlohmann::json&)>& keep,
    size_t per_model, int64_t max_tokens) {
  std::map<std::string, std::vector<std::vector<int32_t>>> out;
  for (const auto& c : manifest.at("cases")) {
    if (!keep(c) || c.at("n_tokens").get<int64_t>() > max_tokens) continue;
    auto& list = out[c.at("model_file")];
    if (list.size() < per_model) list.push_back(c.at("prompt_tokens"));
  }
  return out;
}

// The prompt of the first case of `model_file` (empty when the manifest has none).
inline std::vector<int32_t> first_prompt_of(const nlohmann::json& manifest,
                                            const std::string& model_file) {
  for (const auto& c : manifest.at("cases")) {
    if (c.at("model_file") == model_file) return c.at("prompt_tokens").get<std::vector<int32_t>>();
  }
  return {};
}

// A model plus the simplest KV block allocator: ids handed out in order, starting over at 0 when
// the pool would run out (the tests run one batch at a time and re-run a sequence from its
// start, so no block still needed is ever handed out twice within a batch).
struct TestModel {
  std::unique_ptr<model::Model> model;
  int32_t next_block = 0;

  std::vector<int32_t> take_blocks(int64_t n_positions) {
    const int64_t block = model->kv_block_size();
    const int64_t need = (n_positions + block - 1) / block;
    if (next_block + need > model->kv_block_count()) next_block = 0;
    std::vector<int32_t> table;
    for (int64_t i = 0; i < need; ++i) table.push_back(next_block++);
    return table;
  }
};

// The models of one test suite (create it in SetUpTestSuite, reset it in TearDownTestSuite):
// each file loaded once, on a 2-thread pool.
class SuiteModels {
 public:
  using Loader =
      std::function<std::unique_ptr<model::Model>(const std::string& path, kernels::ExecContext&)>;

  kernels::ExecContext& ctx() { return ctx_; }

  TestModel& get(const std::string& path, const Loader& load) {
    auto it = models_.find(path);
    if (it != models_.end()) return it->second;
    TestModel m;
    m.model = load(path, ctx_);
    return models_.emplace(path, std::move(m)).first->second;
  }

 private:
  ThreadPool pool_{2};
  kernels::ExecContext ctx_{pool_};
  std::map<std::string, TestModel> models_;  // destroyed before the context and the pool
};

// Loads a GGUF file on the CPU with `opt` (a SuiteModels::Loader).
inline SuiteModels::Loader cpu_model(model::ModelOptions opt) {
  return [opt](const std::string& path, kernels::ExecContext& ctx) {
    return model::load_model(gguf::GgufFile::open(path), opt, ctx);
  };
}

}  // namespace dsinfer::test
