// `dsinfer make-model`: writes a GGUF model with deterministic random weights, the metadata real
// converted checkpoints carry, and a tokenizer (built-in or copied from a vocab GGUF).
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/cpu_quota.h"
#include "base/error.h"
#include "base/thread_pool.h"
#include "cli/commands.h"
#include "cli/make_model_spec.h"
#include "cli/make_model_vocab.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "tensor/quantize.h"

namespace dsinfer::cli {
namespace {

struct MakeModelArgs {
  std::string arch;
  std::string preset = "tiny";
  std::string type = "f32";
  std::string vocab;
  std::string chat_template;  // file whose bytes replace tokenizer.chat_template
  std::string out;
  uint64_t seed = 42;
  int threads = 0;
};

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Row `row` of tensor `index`: uniform in [-s, s] (+1 for norms); independent of thread count.
void fill_row(const TensorPlan& t, uint64_t seed, size_t index, int64_t row, float* out,
              int64_t n) {
  uint64_t state = seed * 0x100000001B3ull ^ (index << 40) ^ static_cast<uint64_t>(row);
  splitmix64(state);
  for (int64_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;  // [0, 1)
    out[i] = static_cast<float>((2.0 * u - 1.0) * t.init_scale) + (t.around_one ? 1.0f : 0.0f);
  }
}

void set_tokenizer(gguf::Metadata& md, const BuiltVocab& v) {
  md.set("tokenizer.ggml.model", gguf::Value::from_string(v.model));
  md.set("tokenizer.ggml.pre", gguf::Value::from_string(v.pre));
  md.set("tokenizer.ggml.tokens", gguf::Value::from_strings(v.tokens));
  md.set("tokenizer.ggml.token_type", gguf::Value::from_i32s(v.token_types));
  md.set("tokenizer.ggml.merges", gguf::Value::from_strings(v.merges));
  if (v.bos_id >= 0) md.set("tokenizer.ggml.bos_token_id", gguf::Value::from_u32(v.bos_id));
  if (v.eos_id >= 0) md.set("tokenizer.ggml.eos_token_id", gguf::Value::from_u32(v.eos_id));
  if (v.eot_id >= 0) md.set("tokenizer.ggml.eot_token_id", gguf::Value::from_u32(v.eot_id));
  if (v.pad_id >= 0) md.set("tokenizer.ggml.padding_token_id", gguf::Value::from_u32(v.pad_id));
  md.set("tokenizer.ggml.add_bos_token", gguf::Value::from_bool(v.add_bos));
  md.set("tokenizer.ggml.add_eos_token", gguf::Value::from_bool(false));
  md.set("tokenizer.chat_template", gguf::Value::from_string(v.chat_template));
}

// Copies every tokenizer.* key of a vocab GGUF; pads the token list to `n_vocab` (as converters
// do when the embedding matrix is larger than the tokenizer). Returns the final vocabulary size.
int64_t copy_tokenizer(gguf::Metadata& md, const std::string& vocab_path, int64_t n_vocab) {
  const auto vocab = gguf::GgufFile::open(vocab_path);
  const auto& vmd = vocab->metadata();
  if (!vmd.has("tokenizer.ggml.tokens")) {
    fail(ErrorKind::kBadFile, "{}: no tokenizer.ggml.tokens: not a vocabulary file", vocab_path);
  }
  for (const auto& [key, value] : vmd.entries()) {
    if (key.rfind("tokenizer.", 0) == 0) md.set(key, value);
  }
  auto tokens = vmd.get_string_array("tokenizer.ggml.tokens");
  if (static_cast<int64_t>(tokens.size()) >= n_vocab) return static_cast<int64_t>(tokens.size());
  std::vector<int32_t> types;
  for (int64_t t : vmd.get_int_array("tokenizer.ggml.token_type")) {
    types.push_back(static_cast<int32_t>(t));
  }
  types.resize(tokens.size(), 1);
  for (int64_t i = static_cast<int64_t>(tokens.size()); i < n_vocab; ++i) {
    tokens.push_back(fmt::format("[PAD{}]", i));
    types.push_back(5);
  }
  md.set("tokenizer.ggml.tokens", gguf::Value::from_strings(tokens));
  md.set("tokenizer.ggml.token_type", gguf::Value::from_i32s(types));
  return n_vocab;
}

void set_hparams(gguf::Metadata& md, const ModelSpec& s, const std::string& name) {
  const std::string a = s.arch + ".";
  auto u32 = [](int64_t v) { return gguf::Value::from_u32(static_cast<uint32_t>(v)); };
  md.set("general.architecture", gguf::Value::from_string(s.arch));
  md.set("general.type", gguf::Value::from_string("model"));
  md.set("general.name", gguf::Value::from_string(name));
  md.set(a + "block_count", u32(s.n_layer));
  md.set(a + "context_length", u32(s.n_ctx));
  md.set(a + "embedding_length", u32(s.n_embd));
  md.set(a + "feed_forward_length", u32(s.n_ff));
  md.set(a + "attention.head_count", u32(s.n_head));
  md.set(a + "attention.layer_norm_rms_epsilon", gguf::Value::from_f32(s.rms_eps));
  md.set(a + "rope.freq_base", gguf::Value::from_f32(s.rope_base));
  md.set(a + "vocab_size", u32(s.n_vocab));
  if (s.arch != "deepseek2") {
    md.set(a + "attention.head_count_kv", u32(s.n_head_kv));
    if (s.arch == "llama") md.set(a + "rope.dimension_count", u32(s.n_embd / s.n_head));
  } else {
    // Current converters' MLA layout: one latent "KV head" holding kv_lora_rank + rope dims.
    md.set(a + "attention.head_count_kv", u32(1));
    md.set(a + "leading_dense_block_count", u32(s.n_dense_lead));
    md.set(a + "attention.q_lora_rank", u32(s.q_lora_rank));
    md.set(a + "attention.kv_lora_rank", u32(s.kv_lora_rank));
    md.set(a + "attention.key_length", u32(s.kv_lora_rank + s.qk_rope_dim));
    md.set(a + "attention.value_length", u32(s.kv_lora_rank));
    md.set(a + "attention.key_length_mla", u32(s.qk_nope_dim + s.qk_rope_dim));
    md.set(a + "attention.value_length_mla", u32(s.v_head_dim));
    md.set(a + "expert_feed_forward_length", u32(s.n_ff_expert));
    md.set(a + "expert_count", u32(s.n_expert));
    md.set(a + "expert_used_count", u32(s.n_expert_used));
    md.set(a + "expert_shared_count", u32(s.n_expert_shared));
    md.set(a + "expert_group_count", u32(s.n_expert_group));
    md.set(a + "expert_group_used_count", u32(s.n_expert_group_used));
    md.set(a + "expert_gating_func", u32(s.gating_func));
    md.set(a + "expert_weights_scale", gguf::Value::from_f32(s.expert_weights_scale));
    if (s.expert_weights_norm) md.set(a + "expert_weights_norm", gguf::Value::from_bool(true));
    md.set(a + "rope.dimension_count", u32(s.qk_rope_dim));
    if (s.yarn_factor > 0) {
      md.set(a + "rope.scaling.type", gguf::Value::from_string("yarn"));
      md.set(a + "rope.scaling.factor", gguf::Value::from_f32(s.yarn_factor));
      md.set(a + "rope.scaling.original_context_length", u32(s.yarn_orig_ctx));
      md.set(a + "rope.scaling.yarn_beta_fast", gguf::Value::from_f32(32.0f));
      md.set(a + "rope.scaling.yarn_beta_slow", gguf::Value::from_f32(1.0f));
      md.set(a + "rope.scaling.yarn_log_multiplier", gguf::Value::from_f32(s.yarn_log_multiplier));
    }
  }
}

void run_make_model(const MakeModelArgs& args) {
  ModelSpec spec = preset_spec(args.arch, args.preset);
  const FileType type = parse_file_type(args.type);
  const std::string name = fmt::format("dsinfer-{}-{}", spec.preset, spec.arch);

  gguf::GgufWriter writer;
  auto& md = writer.metadata();
  gguf::Metadata tok_md;
  if (!args.vocab.empty()) {
    spec.n_vocab = copy_tokenizer(tok_md, args.vocab, spec.n_vocab);
  } else {
    set_tokenizer(tok_md, build_vocab(spec.tokenizer_pre, spec.n_vocab));
  }
  if (!args.chat_template.empty()) {
    std::ifstream in(args.chat_template, std::ios::binary);
    if (!in) fail(ErrorKind::kNotFound, "cannot read --chat-template '{}'", args.chat_template);
    tok_md.set("tokenizer.chat_template",
               gguf::Value::from_string(std::string(std::istreambuf_iterator<char>(in), {})));
  }
  // Key order as converted files have it: general and hyper-parameters, tokenizer, quantisation.
  set_hparams(md, spec, name);
  for (const auto& [key, value] : tok_md.entries()) md.set(key, value);
  md.set("general.quantization_version", gguf::Value::from_u32(2));
  md.set("general.file_type", gguf::Value::from_u32(type.file_type));

  const auto plan = plan_tensors(spec, type);
  for (const auto& t : plan) writer.add_tensor({t.name, t.type, t.shape});

  ThreadPool pool(args.threads > 0 ? args.threads : usable_cpu_count());
  const auto t0 = std::chrono::steady_clock::now();
  writer.write(args.out,
               [&](size_t index, const gguf::TensorDecl& decl, std::vector<uint8_t>& out) {
                 const TensorPlan& t = plan[index];
                 const int64_t n_in = t.shape[0];
                 int64_t rows = 1;
                 for (size_t d = 1; d < t.shape.size(); ++d) rows *= t.shape[d];
                 const size_t row_bytes = decl.n_bytes() / static_cast<size_t>(rows);
                 out.resize(decl.n_bytes());
                 pool.parallel_for(rows, 1, [&](int64_t begin, int64_t end, int) {
                   std::vector<float> buf(static_cast<size_t>(n_in));
                   for (int64_t r = begin; r < end; ++r) {
                     fill_row(t, args.seed, index, r, buf.data(), n_in);
                     tensor::quantize_row(t.type, buf.data(),
                                          out.data() + static_cast<size_t>(r) * row_bytes, n_in);
                   }
                 });
               });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("wrote {} ({} tensors, {:.1f} MB) in {:.1f} s", args.out, plan.size(),
               std::filesystem::file_size(args.out) / 1e6, secs);
}

}  // namespace

void add_make_model(CLI::App& app) {
  auto args = std::make_shared<MakeModelArgs>();
  auto* cmd = app.add_subcommand(
      "make-model", "Write a GGUF model with deterministic random weights (tests, benchmarks)");
  cmd->add_option("--arch", args->arch, "llama | qwen2 | deepseek2 (default: the preset's)");
  std::string presets;
  for (const auto& p : preset_names()) presets += (presets.empty() ? "" : " | ") + p;
  cmd->add_option("--preset", args->preset, presets)->capture_default_str();
  cmd->add_option("--type", args->type, "f32 | f16 | bf16 | q8_0 | q4_0 | q4_k | q5_k | q6_k")
      ->capture_default_str();
  cmd->add_option("--vocab", args->vocab, "Copy the tokenizer of this GGUF (vocab-only) file");
  cmd->add_option("--chat-template", args->chat_template,
                  "File whose text becomes tokenizer.chat_template (tests of templates)");
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (default: usable CPUs)");
  cmd->add_option("--out", args->out, "Output .gguf path")->required();
  cmd->callback([args] {
    if (args->preset == "tiny" && args->arch.empty()) {
      fail(ErrorKind::kInvalidInput, "--preset tiny needs --arch (llama, qwen2 or deepseek2)");
    }
    run_make_model(*args);
  });
}

}  // namespace dsinfer::cli
