// `dsinfer logits --model F --prompt-tokens 1,2,3 [--all] --out L.bin [--threads N]`: runs the
// prompt through the model in one step and writes float32 little-endian logits: [n_vocab] for the
// last position, or [n_tokens x n_vocab] with --all. The ids are used exactly as given (no BOS).
#include <bit>
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "base/cpu_quota.h"
#include "base/error.h"
#include "base/thread_pool.h"
#include "cli/commands.h"
#include "cli/config_yaml.h"
#include "cli/token_ids.h"
#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "model/model.h"

namespace dsinfer::cli {
namespace {

struct LogitsArgs {
  std::string model;
  std::string prompt_tokens;
  std::string out;
  bool all = false;
  int threads = 0;
};

void write_floats(const std::string& path, const float* data, size_t n) {
  static_assert(std::endian::native == std::endian::little, "logits are written little-endian");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) fail(ErrorKind::kInvalidInput, "cannot open '{}' for writing", path);
  const size_t written = std::fwrite(data, sizeof(float), n, f);
  const bool closed = std::fclose(f) == 0;
  if (written != n || !closed) fail(ErrorKind::kInternal, "writing '{}' failed", path);
}

void run_logits(const LogitsArgs& args) {
  const std::vector<int32_t> tokens = parse_token_ids(args.prompt_tokens, "--prompt-tokens");
  const int threads = args.threads > 0 ? args.threads : usable_cpu_count();
  ThreadPool pool(threads);
  kernels::ExecContext ctx(pool);
  std::shared_ptr<gguf::GgufFile> file = gguf::GgufFile::open(args.model);
  constexpr int64_t kBlock = 16;
  const auto n = static_cast<int64_t>(tokens.size());
  model::ModelOptions options;
  options.kv_block_size = kBlock;
  options.ctx_size = n;
  options.kv_blocks = (n + kBlock - 1) / kBlock;
  auto m = model::load_model(file, options, ctx);

  model::Batch batch;
  model::BatchSequence seq;
  seq.tokens = tokens;
  seq.want_all_logits = args.all;
  for (int32_t b = 0; b < options.kv_blocks; ++b) seq.block_table.push_back(b);
  batch.sequences.push_back(std::move(seq));
  const model::Logits logits = m->forward(batch);
  write_floats(args.out, logits.data.data(), logits.data.size());
  spdlog::info("logits: {} tokens, {} row(s) x {} written to {} ({} threads)", n,
               logits.row_count.at(0), logits.n_vocab, args.out, threads);
}

}  // namespace

void add_logits(CLI::App& app) {
  auto args = std::make_shared<LogitsArgs>();
  auto* cmd = app.add_subcommand(
      "logits", "Run token ids through the model and write float32 LE logits to a file");
  cmd->add_option("--model", args->model, "GGUF model file")->required();
  cmd->add_option("--prompt-tokens", args->prompt_tokens,
                  "Comma-separated token ids, used exactly as given (no BOS added)")
      ->required();
  cmd->add_option("--out", args->out, "Output file: [n_vocab] floats, or [n_tokens x n_vocab]")
      ->required();
  cmd->add_flag("--all", args->all, "Write the logits of every position, not only the last");
  add_setting(cmd, "threads", args->threads, "Compute threads (0 = CPUs this process may use)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([args] { run_logits(*args); });
}

}  // namespace dsinfer::cli
