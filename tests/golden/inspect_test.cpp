// Golden: the model summary behind `dsinfer inspect` equals what an independent GGUF reader saw
// in every fixture model (../shared/fixtures/golden/models.json), for all 17 models.
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"
#include "gguf/gguf_summary.h"
#include "support/fixtures.h"

namespace dsinfer::gguf {
namespace {

template <typename T>
nlohmann::json opt_json(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

TEST(InspectGolden, EveryFixtureModelMatchesModelsJson) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  std::ifstream in(fixtures + "/golden/models.json");
  ASSERT_TRUE(in) << "cannot read models.json";
  const auto doc = nlohmann::json::parse(in);
  const auto& models = doc.at("models");
  ASSERT_EQ(models.size(), 17u);

  int checked = 0;
  for (const auto& want : models) {
    const std::string file = want.at("file").get<std::string>();
    SCOPED_TRACE(file);
    const auto gguf = GgufFile::open(fixtures + "/golden/models/" + file);
    const ModelSummary s = summarize(*gguf);

    nlohmann::json got;
    got["architecture"] = s.architecture;
    got["block_count"] = opt_json(s.block_count);
    got["embedding_length"] = opt_json(s.embedding_length);
    got["head_count"] = opt_json(s.head_count);
    got["head_count_kv"] = opt_json(s.head_count_kv);
    got["feed_forward_length"] = opt_json(s.feed_forward_length);
    got["context_length"] = opt_json(s.context_length);
    got["expert_count"] = opt_json(s.expert_count);
    got["vocab_size"] = opt_json(s.vocab_size);
    got["tokenizer_model"] = opt_json(s.tokenizer_model);
    got["tokenizer_pre"] = opt_json(s.tokenizer_pre);
    got["has_chat_template"] = s.has_chat_template;
    got["tensor_count"] = s.tensor_count;
    got["parameter_count"] = s.parameter_count;
    got["tensor_types"] = s.tensor_types;
    got["file_type"] = opt_json(s.file_type);

    int keys = 0;
    for (const auto& [key, value] : want.items()) {
      if (key == "file") continue;
      ASSERT_TRUE(got.contains(key)) << "summary lacks key " << key;
      EXPECT_EQ(got[key], value) << key;
      ++keys;
    }
    EXPECT_EQ(keys, 16);
    // Bytes by type add up to the tensor data, and the data fits in the file.
    uint64_t bytes = 0;
    for (const auto& [type, n] : s.bytes_by_type) bytes += n;
    EXPECT_EQ(bytes, s.tensor_bytes);
    EXPECT_LE(s.tensor_bytes, s.file_bytes);
    ++checked;
  }
  EXPECT_EQ(checked, 17) << "not every fixture model was checked";
}

}  // namespace
}  // namespace dsinfer::gguf
