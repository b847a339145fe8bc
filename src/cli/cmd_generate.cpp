// `dsinfer generate --model F (--prompt TEXT | --prompt-tokens IDS) [-n 32] [--temp 0] [--seed S]
// [--json] [--parallel N]`: runs prompts through the engine and prints the generated part: text,
// or one {"ids":[...],"text":"..."} object per request with --json (generated part only).
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/config_yaml.h"
#include "cli/engine_flags.h"
#include "cli/token_ids.h"
#include "engine/engine_loader.h"
#include "engine/request_stream.h"

namespace dsinfer::cli {
namespace {

struct GenerateArgs {
  std::string model;
  std::string prompt;
  std::string prompt_tokens;
  int64_t n_predict = 32;
  float temp = 0.0f;
  int32_t top_k = 0;
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repeat_penalty = 1.0f;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  bool json = false;
  int parallel = 1;
  int threads = 0;
  engine::EngineConfig engine;
};

void run_generate(const GenerateArgs& args) {
  if (args.prompt.empty() == args.prompt_tokens.empty()) {
    fail(ErrorKind::kInvalidInput, "give exactly one of --prompt TEXT or --prompt-tokens IDS");
  }
  if (args.parallel < 1) {
    fail(ErrorKind::kInvalidInput, "--parallel must be >= 1, got {}", args.parallel);
  }
  if (args.n_predict < 1) fail(ErrorKind::kInvalidInput, "-n must be >= 1, got {}", args.n_predict);
  engine::EngineConfig config = args.engine;
  config.max_waiting = std::max<int64_t>(config.max_waiting, args.parallel);
  auto loaded = engine::load_engine(args.model, config, args.threads);
  auto& eng = *loaded->engine;

  engine::Request base;
  if (!args.prompt_tokens.empty()) {
    base.prompt_tokens = parse_token_ids(args.prompt_tokens, "--prompt-tokens");
  } else {
    base.prompt_text = args.prompt;   // BOS as the model's metadata says
    base.prompt_text_special = true;  // the operator's own prompt: control tokens allowed
  }
  base.max_tokens = args.n_predict;
  base.sampling.temperature = args.temp;
  base.sampling.top_k = args.top_k;
  base.sampling.top_p = args.top_p;
  base.sampling.min_p = args.min_p;
  base.sampling.repetition_penalty = args.repeat_penalty;
  base.stop = args.stop;
  base.ignore_eos = args.ignore_eos;

  const auto t0 = engine::Clock::now();
  std::vector<std::unique_ptr<engine::RequestStream>> streams;
  for (int i = 0; i < args.parallel; ++i) {
    engine::Request r = base;
    if (args.seed) r.sampling.seed = *args.seed + static_cast<uint64_t>(i);
    streams.push_back(std::make_unique<engine::RequestStream>());
    eng.submit(std::move(r), streams.back()->sink());
  }
  const bool stream_text = !args.json && args.parallel == 1;
  int64_t generated = 0;
  int64_t prompt_tokens = 0;
  double ttft_sum = 0;
  for (int i = 0; i < args.parallel; ++i) {
    std::vector<int32_t> ids;
    std::string text;
    while (auto e = streams[static_cast<size_t>(i)]->next()) {
      ids.insert(ids.end(), e->tokens.begin(), e->tokens.end());
      text += e->text;
      if (stream_text && !e->text.empty()) {
        std::fwrite(e->text.data(), 1, e->text.size(), stdout);
        std::fflush(stdout);
      }
      if (e->type == engine::EventType::kError) {
        fail(e->error_kind, "request {}: {}", i, e->error_message);
      }
      if (e->type == engine::EventType::kFinished) {
        generated += e->usage.completion_tokens;
        prompt_tokens += e->usage.prompt_tokens;
        ttft_sum +=
            std::chrono::duration<double>(e->timing.first_token - e->timing.submitted).count();
        spdlog::debug("request {}: finish {}, {} prompt ({} cached) + {} generated tokens", i,
                      engine::finish_reason_name(e->finish_reason), e->usage.prompt_tokens,
                      e->usage.cached_prompt_tokens, e->usage.completion_tokens);
      }
    }
    if (args.json) {
      nlohmann::json j;
      j["ids"] = ids;
      j["text"] = text;
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else if (stream_text) {
      std::printf("\n");
    } else {
      std::printf("[%d] %s\n", i, text.c_str());
    }
  }
  const double secs = std::chrono::duration<double>(engine::Clock::now() - t0).count();
  spdlog::info(
      "generate: {} request(s), {} prompt + {} generated tokens in {:.2f} s ({:.1f} tok/s "
      "generated), mean time to first token {:.1f} ms",
      args.parallel, prompt_tokens, generated, secs,
      secs > 0 ? static_cast<double>(generated) / secs : 0.0, 1000.0 * ttft_sum / args.parallel);
}

}  // namespace

void add_generate(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd =
      app.add_subcommand("generate", "Generate a continuation of a prompt through the engine");
  add_setting(cmd, "model", args->model, "GGUF model file")->required();
  cmd->add_option(
      "--prompt", args->prompt,
      "Prompt text (tokenized with BOS as the model says; control-token text in it is parsed)");
  cmd->add_option("--prompt-tokens", args->prompt_tokens,
                  "Prompt token ids, e.g. 1,2,3 (as given)");
  cmd->add_option("-n,--n-predict", args->n_predict, "Tokens to generate")->capture_default_str();
  cmd->add_option("--temp", args->temp, "Temperature (0 = greedy)")->capture_default_str();
  cmd->add_option("--top-k", args->top_k, "Top-k (0 = off)")->capture_default_str();
  cmd->add_option("--top-p", args->top_p, "Top-p (1 = off)")->capture_default_str();
  cmd->add_option("--min-p", args->min_p, "Min-p (0 = off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", args->repeat_penalty, "Repetition penalty (1 = off)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Sampling seed (request i of --parallel gets seed + i)");
  cmd->add_option("--stop", args->stop, "Stop string (repeatable; never printed)");
  cmd->add_flag("--ignore-eos", args->ignore_eos, "Keep generating past end-of-generation tokens");
  cmd->add_flag("--json", args->json, "Print {\"ids\":[...],\"text\":\"...\"} per request");
  cmd->add_option("--parallel", args->parallel, "Run the prompt N times concurrently")
      ->capture_default_str();
  add_setting(cmd, "threads", args->threads, "Compute threads (0 = CPUs this process may use)")
      ->check(CLI::NonNegativeNumber);
  add_engine_flags(cmd, args->engine);
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace dsinfer::cli
