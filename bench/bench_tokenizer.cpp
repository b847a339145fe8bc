// Tokenizer throughput (MB/s of UTF-8 input) on ~1 MB of deterministic mixed Chinese/English
// text with the real DeepSeek-LLM vocabulary (102,400 tokens) from the shared fixtures.
// Vocabulary: $DSINFER_TOKENIZER_VOCAB, else
// $DSINFER_FIXTURES/tokenizer/ggml-vocab-deepseek-llm.gguf, else ../shared/fixtures/... relative to
// the working directory.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace {

using dsinfer::tokenizer::Tokenizer;

std::string vocab_path() {
  if (const char* p = std::getenv("DSINFER_TOKENIZER_VOCAB")) return p;
  std::string fixtures = "../shared/fixtures";
  if (const char* f = std::getenv("DSINFER_FIXTURES")) fixtures = f;
  return fixtures + "/tokenizer/ggml-vocab-deepseek-llm.gguf";
}

// ~`bytes` of text alternating English sentences, Chinese sentences, numbers, code-like
// fragments and newlines, chosen by a fixed linear congruential generator.
std::string mixed_text(size_t bytes) {
  static const char* const kEnglish[] = {
      "The",     "translation", "service",    "handles", "thousands", "of",        "requests",
      "per",     "second,",     "and",        "every",   "answer",    "must",      "match",
      "the",     "reference",   "tokenizer.", "Large",   "language",  "models",    "are",
      "trained", "on",          "text",       "from",    "the",       "internet;", "batching",
      "keeps",   "GPUs",        "busy",       "while",   "latency",   "stays",     "low.",
      "don't",   "we'll"};
  static const char* const kChinese[] = {
      "深度学习", "是",       "机器学习", "的",   "一个",   "分支", "，",   "它",   "使用",
      "多层",     "神经网络", "来",       "学习", "数据",   "的",   "表示", "。",   "今天",
      "天气",     "很好",     "我们",     "需要", "仔细地", "管理", "显存", "和",   "键值",
      "缓存",     "并且",     "要",       "对",   "每一个", "请求", "设置", "合理", "的",
      "上限",     "！",       "翻译",     "服务", "必须",   "准确"};
  std::string out;
  out.reserve(bytes + 64);
  uint64_t state = 0x9E3779B97F4A7C15ull;
  const auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  };
  while (out.size() < bytes) {
    const uint32_t kind = next() % 10;
    const uint32_t words = 4 + next() % 12;
    if (kind < 5) {
      for (uint32_t i = 0; i < words; ++i) {
        out += ' ';
        out += kEnglish[next() % (sizeof(kEnglish) / sizeof(kEnglish[0]))];
      }
    } else if (kind < 9) {
      for (uint32_t i = 0; i < words; ++i) {
        out += kChinese[next() % (sizeof(kChinese) / sizeof(kChinese[0]))];
      }
    } else {
      out += " " + std::to_string(next() % 100000) + ".\n\n    x = f(y) + 42;";
    }
    if (next() % 8 == 0) out += '\n';
  }
  return out;
}

std::unique_ptr<Tokenizer> load(benchmark::State& state) {
  const std::string path = vocab_path();
  if (!std::filesystem::exists(path)) {
    state.SkipWithError(("vocabulary not found: " + path).c_str());
    return nullptr;
  }
  const auto gguf = dsinfer::gguf::GgufFile::open(path);
  return Tokenizer::from_gguf(*gguf);
}

// Warm: the word cache already holds the text's words (steady state of a long-running server).
void BM_EncodeWarm(benchmark::State& state) {
  const auto tok = load(state);
  if (!tok) return;
  const std::string text = mixed_text(1 << 20);
  size_t n_tokens = tok->encode(text, false, true).size();
  for (auto _ : state) {
    auto ids = tok->encode(text, false, true);
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
  state.counters["bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_EncodeWarm)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Cold: a fresh tokenizer (empty word cache) per iteration; construction is not timed.
void BM_EncodeCold(benchmark::State& state) {
  if (!load(state)) return;
  const std::string text = mixed_text(1 << 20);
  for (auto _ : state) {
    state.PauseTiming();
    auto tok = load(state);
    state.ResumeTiming();
    auto ids = tok->encode(text, false, true);
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_EncodeCold)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_DecodeIncremental(benchmark::State& state) {
  const auto tok = load(state);
  if (!tok) return;
  const std::string text = mixed_text(1 << 20);
  const auto ids = tok->encode(text, false, true);
  for (auto _ : state) {
    dsinfer::tokenizer::IncrementalDetokenizer stream(*tok);
    size_t n = 0;
    for (int32_t id : ids) n += stream.push(id).size();
    n += stream.flush().size();
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_DecodeIncremental)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
