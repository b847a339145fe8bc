// `dsinfer bench-model --model F [--threads N] [--prompt-len 512] [--gen-len 128] [--batch 1]
// [--reps 3] [--json] [--measure-bandwidth] [--device cpu|vulkan[:N]]`: whole-model throughput
// measured the way llama-bench measures pp512 / tg128: prefill = a --prompt-len prompt per sequence
// from an empty cache; decode = --gen-len steps of one token per sequence from an empty cache (EOS
// ignored), tokens/s summed over the batch. Medians over --reps runs after one warm-up.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/cpu_quota.h"
#include "base/error.h"
#include "base/thread_pool.h"
#include "cli/commands.h"
#include "cli/config_yaml.h"
#include "cli/engine_flags.h"
#include "engine/device_select.h"
#include "gguf/gguf_file.h"
#include "kernels/exec_context.h"
#include "kernels/isa.h"
#include "model/model.h"

namespace dsinfer::cli {
namespace {

struct BenchModelArgs {
  std::string model;
  int threads = 0;
  int64_t prompt_len = 512;
  int64_t gen_len = 128;
  int64_t batch = 1;
  int reps = 3;
  bool json = false;
  bool measure_bandwidth = false;
  bool no_repack = false;
  std::string device = "cpu";
};

constexpr int64_t kBlock = 16;
constexpr int64_t kMaxTokensPerStep = 512;  // prefill chunk (the reference's default ubatch)

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds (user + system) this process has used so far, all threads.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

class Bench {
 public:
  Bench(model::Model& m, int64_t batch, int64_t blocks_per_seq)
      : m_(m), batch_(batch), blocks_per_seq_(blocks_per_seq), rng_(1234) {}

  std::vector<int32_t> block_table(int64_t seq) const {
    std::vector<int32_t> bt;
    for (int64_t b = 0; b < blocks_per_seq_; ++b) {
      bt.push_back(static_cast<int32_t>(seq * blocks_per_seq_ + b));
    }
    return bt;
  }

  int32_t random_token() {
    return static_cast<int32_t>(rng_() % static_cast<uint64_t>(m_.info().n_vocab));
  }

  // Seconds to prefill `len` tokens in each sequence (one sequence after the other, chunks of
  // kMaxTokensPerStep tokens).
  double prefill(int64_t len) {
    std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(batch_));
    for (auto& p : prompts) {
      for (int64_t i = 0; i < len; ++i) p.push_back(random_token());
    }
    const auto t0 = Clock::now();
    for (int64_t s = 0; s < batch_; ++s) {
      for (int64_t start = 0; start < len; start += kMaxTokensPerStep) {
        model::BatchSequence seq;
        seq.seq_id = s;
        const int64_t n = std::min(kMaxTokensPerStep, len - start);
        const auto& p = prompts[static_cast<size_t>(s)];
        seq.tokens.assign(p.begin() + start, p.begin() + start + n);
        seq.start_pos = start;
        seq.block_table = block_table(s);
        model::Batch b;
        b.sequences.push_back(std::move(seq));
        m_.forward(b);
      }
    }
    return seconds_since(t0);
  }

  // Seconds for `steps` decode steps of all sequences together, from position 0.
  double decode(int64_t steps) {
    model::Batch b;
    for (int64_t s = 0; s < batch_; ++s) {
      model::BatchSequence seq;
      seq.seq_id = s;
      seq.tokens = {random_token()};
      seq.block_table = block_table(s);
      b.sequences.push_back(std::move(seq));
    }
    const auto t0 = Clock::now();
    for (int64_t step = 0; step < steps; ++step) {
      for (auto& seq : b.sequences) seq.start_pos = step;
      const model::Logits logits = m_.forward(b);
      // Feed back a token that depends on the output, as a sampler would.
      for (size_t s = 0; s < b.sequences.size(); ++s) {
        const float* row = logits.row(logits.first_row[s]);
        b.sequences[s].tokens[0] =
            static_cast<int32_t>(std::max_element(row, row + logits.n_vocab) - row);
      }
    }
    return seconds_since(t0);
  }

 private:
  model::Model& m_;
  int64_t batch_;
  int64_t blocks_per_seq_;
  std::mt19937_64 rng_;
};

// Memory bandwidth over arrays far larger than the caches, split over the pool's threads; best
// of 5 each. `triad`: STREAM-style a = b + s*c, counting the three arrays once each (STREAM
// convention). `read`: a sum over b and c, nothing written; decode only reads its weights, so
// this is its ceiling (on shared VMs it can sit below the triad figure's 1.3-1.5x).
struct Bandwidth {
  double triad_gb_s = 0;
  double read_gb_s = 0;
};

Bandwidth measure_bandwidth(ThreadPool& pool) {
  const int64_t n = int64_t{48} << 20;  // 48 Mi floats per array (192 MiB)
  std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n), 1.0f),
      c(static_cast<size_t>(n), 2.0f);
  Bandwidth out;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    pool.parallel_for(n, 4096, [&](int64_t begin, int64_t end, int /*thread*/) {
      for (int64_t i = begin; i < end; ++i) a[i] = b[i] + 3.0f * c[i];
    });
    const double s = seconds_since(t0);
    out.triad_gb_s =
        std::max(out.triad_gb_s, 3.0 * static_cast<double>(n) * sizeof(float) / s / 1e9);
  }
  // b and c viewed as 64-bit words; four independent sums so the loads are not serialised.
  const int64_t words = n / 2;
  std::vector<uint64_t> sums(static_cast<size_t>(pool.size()), 0);
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    pool.parallel_for(words, 4096, [&](int64_t begin, int64_t end, int thread) {
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (const float* arr : {b.data(), c.data()}) {
        const auto* w = reinterpret_cast<const uint64_t*>(arr);
        int64_t i = begin;
        for (; i + 4 <= end; i += 4) {
          s0 += w[i];
          s1 += w[i + 1];
          s2 += w[i + 2];
          s3 += w[i + 3];
        }
        for (; i < end; ++i) s0 += w[i];
      }
      sums[static_cast<size_t>(thread)] += s0 + s1 + s2 + s3;
    });
    const double s = seconds_since(t0);
    out.read_gb_s = std::max(out.read_gb_s, 2.0 * static_cast<double>(n) * sizeof(float) / s / 1e9);
  }
  volatile uint64_t sink = 0;  // keeps the sums (and so the reads) alive
  for (const uint64_t v : sums) sink = sink + v;
  return out;
}

void run_bench_model(const BenchModelArgs& args) {
  if (args.prompt_len < 1 || args.gen_len < 1 || args.batch < 1 || args.reps < 1) {
    fail(ErrorKind::kInvalidInput, "--prompt-len, --gen-len, --batch and --reps must be >= 1");
  }
  const engine::DeviceSpec device = engine::parse_device(args.device);
  const int threads = args.threads > 0 ? args.threads : usable_cpu_count();
  ThreadPool pool(threads);
  kernels::ExecContext exec(pool);
  std::shared_ptr<gguf::GgufFile> file = gguf::GgufFile::open(args.model);
  const int64_t ctx = std::max(args.prompt_len, args.gen_len);
  const int64_t blocks_per_seq = (ctx + kBlock - 1) / kBlock;
  model::ModelOptions options;
  options.kv_block_size = kBlock;
  options.ctx_size = ctx;
  options.kv_blocks = blocks_per_seq * args.batch;
  options.repack_weights = !args.no_repack;
  options.max_step_tokens = std::max(kMaxTokensPerStep, args.batch);
  const auto load_start = Clock::now();
  auto m = engine::load_model_on(device, file, options, exec);
  const double load_s = seconds_since(load_start);

  Bench bench(*m, args.batch, blocks_per_seq);
  // Warm-up with the whole prompt, as llama-bench does: it pages the weights in and grows every
  // per-step buffer to the prompt's size once, so the timed prefill does not pay that first touch
  // (V2-Lite at 512 tokens: ~7 % of a single prefill's samples were page faults on those buffers).
  bench.prefill(args.prompt_len);
  bench.decode(1);
  // Tokens per wall second, and per CPU second (all threads): on a shared machine the second
  // shows what the code does when other processes take cores away.
  std::vector<double> prefill_runs, decode_runs, prefill_cpu_runs, decode_cpu_runs;
  for (int r = 0; r < args.reps; ++r) {
    const auto prefill_tokens = static_cast<double>(args.batch * args.prompt_len);
    const double c0 = cpu_seconds();
    prefill_runs.push_back(prefill_tokens / bench.prefill(args.prompt_len));
    const double c1 = cpu_seconds();
    prefill_cpu_runs.push_back(prefill_tokens / (c1 - c0));
    const auto decode_tokens = static_cast<double>(args.batch * args.gen_len);
    decode_runs.push_back(decode_tokens / bench.decode(args.gen_len));
    decode_cpu_runs.push_back(decode_tokens / (cpu_seconds() - c1));
  }
  const auto& info = m->info();
  nlohmann::ordered_json j;
  j["model"] = info.name;
  j["file"] = args.model;
  j["weight_type"] = info.weight_type;
  j["device"] = args.device;
  if (const model::DeviceStatus d = m->device_status(); d.type != "cpu") {
    j["device_name"] = d.name;
    j["device_driver"] = d.driver;
    j["device_memory_used_bytes"] = d.memory_used_bytes;
  }
  j["isa"] = kernels::isa_name(kernels::selected_isa());
  j["threads"] = threads;
  j["batch"] = args.batch;
  j["prompt_len"] = args.prompt_len;
  j["gen_len"] = args.gen_len;
  j["weight_repack"] = !args.no_repack;
  j["load_s"] = load_s;
  j["prefill_tok_s"] = median(prefill_runs);
  j["decode_tok_s"] = median(decode_runs);
  j["prefill_tok_s_runs"] = prefill_runs;
  j["decode_tok_s_runs"] = decode_runs;
  j["prefill_tok_per_cpu_s"] = median(prefill_cpu_runs);
  j["decode_tok_per_cpu_s"] = median(decode_cpu_runs);
  j["weight_bytes"] = info.weight_bytes_per_token;
  j["file_bytes"] = file->file_bytes();
  j["kv_pool_bytes"] = info.kv_bytes_per_token * m->kv_block_count() * m->kv_block_size();
  {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    j["max_rss_bytes"] = static_cast<int64_t>(u.ru_maxrss) * 1024;  // peak resident memory
  }
  if (args.measure_bandwidth) {
    const Bandwidth bw = measure_bandwidth(pool);
    const double bytes = static_cast<double>(info.weight_bytes_per_token);
    j["bandwidth_gb_s_ceiling"] = bw.triad_gb_s;
    j["decode_tok_s_ceiling"] = bw.triad_gb_s * 1e9 / bytes;
    j["read_bandwidth_gb_s"] = bw.read_gb_s;
    j["decode_tok_s_read_ceiling"] = bw.read_gb_s * 1e9 / bytes;
  }
  if (args.json) {
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("model %s (%s, %s) on %s, %d threads, ISA %s, batch %lld\n", info.name.c_str(),
              info.weight_type.c_str(), args.model.c_str(), args.device.c_str(), threads,
              kernels::selected_isa_text().c_str(), static_cast<long long>(args.batch));
  std::printf("prefill pp%lld: %.2f tok/s   decode tg%lld: %.2f tok/s (median of %d)\n",
              static_cast<long long>(args.prompt_len), median(prefill_runs),
              static_cast<long long>(args.gen_len), median(decode_runs), args.reps);
  std::printf("per CPU-second (all threads): prefill %.2f tok, decode %.2f tok\n",
              median(prefill_cpu_runs), median(decode_cpu_runs));
  std::printf("weights read per decode step: %.3f GB\n",
              static_cast<double>(info.weight_bytes_per_token) / 1e9);
  if (args.measure_bandwidth) {
    std::printf("memory bandwidth (triad): %.1f GB/s -> decode ceiling %.2f tok/s per sequence\n",
                j["bandwidth_gb_s_ceiling"].get<double>(), j["decode_tok_s_ceiling"].get<double>());
    std::printf("memory bandwidth (read):  %.1f GB/s -> decode ceiling %.2f tok/s per sequence\n",
                j["read_bandwidth_gb_s"].get<double>(),
                j["decode_tok_s_read_ceiling"].get<double>());
  }
}

}  // namespace

void add_bench_model(CLI::App& app) {
  auto args = std::make_shared<BenchModelArgs>();
  auto* cmd = app.add_subcommand(
      "bench-model", "Measure whole-model prefill and decode throughput (llama-bench style)");
  cmd->add_option("--model", args->model, "GGUF model file")->required();
  add_setting(cmd, "threads", args->threads, "Compute threads (0 = CPUs this process may use)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--prompt-len", args->prompt_len, "Prompt tokens per sequence (prefill)")
      ->capture_default_str();
  cmd->add_option("--gen-len", args->gen_len, "Decode steps per sequence")->capture_default_str();
  cmd->add_option("--batch", args->batch, "Sequences decoded together")->capture_default_str();
  cmd->add_option("--reps", args->reps, "Repetitions (the median is reported)")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  add_device_flag(cmd, args->device);
  cmd->add_flag(
      "--measure-bandwidth", args->measure_bandwidth,
      "Also measure memory bandwidth (triad and read-only) and the decode ceilings they imply");
  cmd->add_flag("--no-repack", args->no_repack,
                "Use Q4_K/Q6_K weights in the file's layout instead of the kernels' 8-row groups "
                "(A/B comparisons)");
  cmd->callback([args] { run_bench_model(*args); });
}

}  // namespace dsinfer::cli
