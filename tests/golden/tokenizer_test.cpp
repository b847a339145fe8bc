// Golden tokenizer tests: every case of every vocabulary in ../shared/fixtures/tokenizer must
// give the reference's ids exactly; round trips and streaming detokenization on those inputs;
// the golden prompts' tokens in golden/manifest.json.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"
#include "support/fixtures.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// NAME.gguf.inp: strings each followed by "\n__ggml_vocab_test__\n".
std::vector<std::string> read_inputs(const fs::path& path) {
  const std::string all = read_all(path);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t from = 0;
  while (from < all.size()) {
    const size_t hit = all.find(sep, from);
    if (hit == std::string::npos) {
      ADD_FAILURE() << path << ": text after the last separator";
      break;
    }
    out.push_back(all.substr(from, hit - from));
    from = hit + sep.size();
  }
  return out;
}

// NAME.gguf.out: one line of " <id>" items per input.
std::vector<std::vector<int32_t>> read_outputs(const fs::path& path) {
  const std::string all = read_all(path);
  std::vector<std::vector<int32_t>> out;
  std::istringstream lines(all);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream items(line);
    std::vector<int32_t> ids;
    int32_t id = 0;
    while (items >> id) ids.push_back(id);
    out.push_back(std::move(ids));
  }
  return out;
}

std::vector<fs::path> vocab_files(const std::string& fixtures) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fixtures + "/tokenizer")) {
    if (e.path().extension() == ".gguf") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string show(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += " " + std::to_string(id);
  return s;
}

// Checks streaming detokenization of every prefix of `ids` against whole decoding.
void check_incremental(const Tokenizer& tok, const std::vector<int32_t>& ids,
                       const std::string& label) {
  IncrementalDetokenizer stream(tok);
  std::string streamed;
  std::vector<int32_t> prefix;
  for (int32_t id : ids) {
    streamed += stream.push(id);
    prefix.push_back(id);
    std::string expected;
    utf8_decode_lossy(tok.decode(prefix), /*final=*/true, expected);
    IncrementalDetokenizer copy = stream;
    const std::string flushed = streamed + copy.flush();
    ASSERT_EQ(flushed, expected) << label << " prefix of " << prefix.size() << " tokens";
    ASSERT_TRUE(utf8_is_valid(streamed)) << label;
  }
  streamed += stream.flush();
  EXPECT_EQ(streamed, tok.decode(ids)) << label;
}

TEST(TokenizerGolden, EveryCaseOfEveryVocabularyMatches) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  const auto files = vocab_files(fixtures);
  ASSERT_GE(files.size(), 6u) << "expected the six fixture vocabularies";
  size_t files_run = 0;
  size_t cases_expected = 0;
  size_t cases_run = 0;
  size_t cases_matched = 0;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const auto inputs = read_inputs(file.string() + ".inp");
    const auto outputs = read_outputs(file.string() + ".out");
    ASSERT_FALSE(inputs.empty()) << file;
    ASSERT_EQ(inputs.size(), outputs.size()) << file << ": .inp and .out disagree";
    cases_expected += inputs.size();
    const auto gguf = gguf::GgufFile::open(file.string());
    const auto tok = Tokenizer::from_gguf(*gguf);
    for (size_t i = 0; i < inputs.size(); ++i) {
      const auto ids = tok->encode(inputs[i], /*add_bos=*/false, /*parse_special=*/false);
      ++cases_run;
      if (ids == outputs[i]) {
        ++cases_matched;
      } else {
        ADD_FAILURE() << file.filename() << " case " << i << " '" << inputs[i]
                      << "'\n  expected:" << show(outputs[i]) << "\n  got:     " << show(ids);
      }
      EXPECT_EQ(tok->decode(ids), inputs[i]) << file.filename() << " round trip, case " << i;
      check_incremental(*tok, ids, file.filename().string() + " case " + std::to_string(i));
    }
    ++files_run;
  }
  std::printf("tokenizer golden: %zu vocabularies, %zu/%zu cases matched\n", files_run,
              cases_matched, cases_expected);
  EXPECT_EQ(files_run, files.size());
  EXPECT_EQ(cases_run, cases_expected);
  EXPECT_EQ(cases_matched, cases_expected)
      << "cases matched " << cases_matched << " of " << cases_expected;
}

std::vector<int32_t> id_list(const nlohmann::json& v) {
  const nlohmann::json list = v.is_string() ? nlohmann::json::parse(v.get<std::string>()) : v;
  return list.get<std::vector<int32_t>>();
}

TEST(TokenizerGolden, GoldenPromptsMatchManifest) {
  DSINFER_REQUIRE_FIXTURES(fixtures);
  const auto manifest = nlohmann::json::parse(read_all(fixtures + "/golden/manifest.json"));
  std::map<std::string, std::unique_ptr<Tokenizer>> tokenizers;
  std::set<std::pair<std::string, std::string>> seen;
  size_t checked = 0;
  for (const auto& c : manifest.at("cases")) {
    const std::string model = c.at("model_file").get<std::string>();
    const std::string prompt = c.at("prompt").get<std::string>();
    if (!seen.insert({model, prompt}).second) continue;
    auto& tok = tokenizers[model];
    if (!tok) tok = Tokenizer::from_gguf(*gguf::GgufFile::open(fixtures + "/golden/" + model));
    SCOPED_TRACE(model + " / " + c.at("prompt_id").get<std::string>());
    EXPECT_EQ(tok->encode(prompt, true, true), id_list(c.at("tokens_with_special")));
    EXPECT_EQ(tok->encode(prompt, false, true), id_list(c.at("tokens_without_special")));
    EXPECT_EQ(tok->encode(prompt, tok->add_bos_default(), true), id_list(c.at("prompt_tokens")));
    EXPECT_EQ(tok->decode(tok->encode(prompt, false, true)), prompt);
    ++checked;
  }
  EXPECT_GE(checked, 20u);
}

}  // namespace
}  // namespace dsinfer::tokenizer
