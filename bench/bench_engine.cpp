// Engine benchmarks through the public Engine API: aggregate decode tokens/s at 1, 4, 8, 16
// concurrent sequences, and time to first token of a 300-token translation prompt with a cold vs
// a warm (cached) instruction prefix. Model: $DSINFER_BENCH_MODEL (default: tiny-r1qwen-qwen2-Q8_0
// under $DSINFER_FIXTURES); threads: $DSINFER_BENCH_THREADS (default 2).
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/log.h"
#include "engine/engine_loader.h"
#include "engine/request_stream.h"

namespace {

using dsinfer::engine::Clock;
using dsinfer::engine::TokenId;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

struct Finished {
  Clock::time_point first_token, finished, submitted;
  int64_t completion = 0;
};

std::vector<Finished> run_requests(dsinfer::engine::Engine& engine,
                                   const std::vector<std::vector<TokenId>>& prompts,
                                   int64_t max_tokens) {
  std::vector<std::unique_ptr<dsinfer::engine::RequestStream>> streams;
  for (const auto& p : prompts) {
    dsinfer::engine::Request r;
    r.prompt_tokens = p;
    r.max_tokens = max_tokens;
    r.ignore_eos = true;
    streams.push_back(std::make_unique<dsinfer::engine::RequestStream>());
    engine.submit(std::move(r), streams.back()->sink());
  }
  std::vector<Finished> out;
  for (auto& s : streams) {
    while (auto e = s->next()) {
      if (e->type == dsinfer::engine::EventType::kError) {
        throw dsinfer::Error(e->error_kind, e->error_message);
      }
      if (e->type == dsinfer::engine::EventType::kFinished) {
        out.push_back({e->timing.first_token, e->timing.finished, e->timing.submitted,
                       e->usage.completion_tokens});
      }
    }
  }
  return out;
}

std::vector<TokenId> synthetic_prompt(int64_t n, uint64_t salt, int64_t n_vocab) {
  std::vector<TokenId> p;
  uint64_t x = salt * 0x9E3779B97F4A7C15ULL + 7;
  for (int64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p.push_back(static_cast<TokenId>(x % static_cast<uint64_t>(std::min<int64_t>(n_vocab, 1000))));
  }
  return p;
}

// NOTE: decode rate = tokens generated after each sequence's first token, summed, over the span
// from the earliest first token to the last finish (prefill excluded, as llama-bench's tg).
void bm_decode(benchmark::State& state, dsinfer::engine::LoadedEngine* loaded) {
  const int64_t n_seq = state.range(0);
  const int64_t gen = state.range(1);
  auto& engine = *loaded->engine;
  const int64_t n_vocab = engine.model_info().n_vocab;
  double tok = 0, secs = 0;
  uint64_t salt = 1;
  for (auto _ : state) {
    std::vector<std::vector<TokenId>> prompts;
    for (int64_t i = 0; i < n_seq; ++i) prompts.push_back(synthetic_prompt(16, salt++, n_vocab));
    const auto done = run_requests(engine, prompts, gen);
    Clock::time_point first = done[0].first_token, last = done[0].finished;
    for (const auto& d : done) {
      first = std::min(first, d.first_token);
      last = std::max(last, d.finished);
      tok += static_cast<double>(d.completion - 1);
    }
    secs += std::chrono::duration<double>(last - first).count();
  }
  state.counters["decode_tok_s"] = tok / secs;
  state.counters["seqs"] = static_cast<double>(n_seq);
}

// Time to first token of a 300-token prompt = 280-token instruction prefix + 20-token segment.
// cold: the prefix changes every iteration (no cache hit); warm: the same prefix each time.
void bm_ttft(benchmark::State& state, dsinfer::engine::LoadedEngine* loaded, bool warm) {
  auto& engine = *loaded->engine;
  const std::string instruction =
      "You are a professional translator. Translate the following text from English into "
      "German. Preserve the meaning, the tone and the formatting exactly; keep names, numbers, "
      "URLs and code unchanged; do not add explanations, notes or quotation marks; output only "
      "the translation. Use formal address. Keep line breaks where they are. If a term has an "
      "established German equivalent, use it; otherwise keep the English term. ";
  std::vector<TokenId> prefix = loaded->tokenizer->encode(instruction, true, false);
  while (prefix.size() < 280) {
    const auto more = loaded->tokenizer->encode(instruction, false, false);
    prefix.insert(prefix.end(), more.begin(), more.end());
  }
  prefix.resize(280);
  const int64_t n_vocab = engine.model_info().n_vocab;
  if (warm) run_requests(engine, {prefix}, 1);  // fill the cache once
  double ttft = 0;
  int64_t iters = 0;
  uint64_t salt = warm ? 1000 : 5000;
  const int64_t hits_before = engine.stats().prefix_cache_hit_tokens;
  for (auto _ : state) {
    auto prompt = prefix;
    if (!warm) prompt[1] = static_cast<TokenId>(salt % static_cast<uint64_t>(n_vocab));
    const auto segment = synthetic_prompt(20, salt++, n_vocab);
    prompt.insert(prompt.end(), segment.begin(), segment.end());
    const auto done = run_requests(engine, {prompt}, 1);
    ttft += std::chrono::duration<double>(done[0].first_token - done[0].submitted).count();
    ++iters;
  }
  state.counters["ttft_ms"] = 1000.0 * ttft / static_cast<double>(iters);
  state.counters["cached_tokens_per_req"] =
      static_cast<double>(engine.stats().prefix_cache_hit_tokens - hits_before) /
      static_cast<double>(iters);
}

}  // namespace

int main(int argc, char** argv) {
  dsinfer::setup_logging(dsinfer::LogFormat::kText, "warn");
  const std::string fixtures = env_or("DSINFER_FIXTURES", "../shared/fixtures");
  const std::string model =
      env_or("DSINFER_BENCH_MODEL", fixtures + "/golden/models/tiny-r1qwen-qwen2-Q8_0.gguf");
  const int threads = std::stoi(env_or("DSINFER_BENCH_THREADS", "2"));
  const int64_t gen = std::stoll(env_or("DSINFER_BENCH_GEN", "64"));
  dsinfer::engine::EngineConfig cfg;
  cfg.kv_cache_mem = env_or("DSINFER_BENCH_KV_MEM", "1GiB");
  cfg.ctx_size = 2048;
  cfg.max_running = 16;
  auto loaded = dsinfer::engine::load_engine(model, cfg, threads);
  for (int64_t n : {1, 4, 8, 16}) {
    benchmark::RegisterBenchmark("engine_decode", bm_decode, loaded.get())
        ->Args({n, gen})
        ->ArgNames({"seqs", "gen"})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(2);
  }
  benchmark::RegisterBenchmark("engine_ttft_300/cold", bm_ttft, loaded.get(), false)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(5);
  benchmark::RegisterBenchmark("engine_ttft_300/warm", bm_ttft, loaded.get(), true)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(5);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
