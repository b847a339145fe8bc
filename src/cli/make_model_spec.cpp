// Presets and the tensor plan of `make-model` (shapes from the published model configs).
#include "cli/make_model_spec.h"

#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "base/error.h"

namespace dsinfer::cli {
namespace {

using tensor::DType;

ModelSpec tiny_dense(const std::string& arch) {
  ModelSpec s;
  s.arch = arch;
  s.tokenizer_pre = arch == "llama" ? "deepseek-llm" : "deepseek-r1-qwen";
  s.n_vocab = 1024;
  s.n_embd = 256;
  s.n_layer = 2;
  s.n_head = 4;
  s.n_head_kv = 2;
  s.n_ff = 512;
  s.n_ctx = 512;
  s.rope_base = arch == "llama" ? 10000.0f : 1000000.0f;
  s.qkv_bias = arch == "qwen2";
  return s;
}

// DeepSeek-V2-Lite's structure at a tiny width (MLA without low-rank queries, softmax gating).
ModelSpec tiny_v2(int64_t n_vocab) {
  ModelSpec s;
  s.arch = "deepseek2";
  s.tokenizer_pre = "deepseek-llm";
  s.n_vocab = n_vocab;
  s.n_embd = 256;
  s.n_layer = 2;
  s.n_head = 4;
  s.n_head_kv = 4;
  s.n_ff = 512;
  s.n_ctx = 512;
  s.kv_lora_rank = 128;
  s.qk_nope_dim = 64;
  s.qk_rope_dim = 32;
  s.v_head_dim = 64;
  s.n_expert = 8;
  s.n_expert_used = 2;
  s.n_expert_shared = 1;
  s.n_ff_expert = 128;
  s.n_dense_lead = 1;
  s.yarn_factor = 40.0f;
  s.yarn_orig_ctx = 4096;
  s.yarn_log_multiplier = 0.0707f;
  return s;
}

// DeepSeek-V3's structure at a tiny width: low-rank queries, sigmoid gating with expert bias,
// group-limited routing, normalised weights, routed scale 2.5.
ModelSpec tiny_v3() {
  ModelSpec s = tiny_v2(1024);
  s.tokenizer_pre = "deepseek-v3";
  s.q_lora_rank = 128;
  s.n_ff_expert = 256;
  s.gating_func = 2;
  s.n_expert_group = 4;
  s.n_expert_group_used = 2;
  s.expert_weights_norm = true;
  s.expert_weights_scale = 2.5f;
  s.yarn_log_multiplier = 0.1f;
  return s;
}

bool use_more_bits(int64_t i, int64_t n) {
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

// The type a tensor takes when its rows are not whole blocks of its own type (as the reference's
// quantiser does): a K type the legacy type of about as many bits, anything else F16.
DType fallback(DType t) {
  constexpr std::pair<DType, DType> kFallbacks[] = {
      {DType::kQ4_K, DType::kQ5_0}, {DType::kQ5_K, DType::kQ5_1}, {DType::kQ6_K, DType::kQ8_0}};
  for (const auto& [from, to] : kFallbacks) {
    if (from == t) return to;
  }
  return DType::kF16;
}

bool is_k_type(DType t) { return t == DType::kQ4_K || t == DType::kQ5_K || t == DType::kQ6_K; }

}  // namespace

std::vector<std::string> preset_names() {
  return {"tiny", "demo", "deepseek-llm-7b", "r1-distill-qwen-1.5b", "deepseek-v2-lite", "tiny-v3"};
}

ModelSpec preset_spec(const std::string& arch, const std::string& preset) {
  ModelSpec s;
  if (preset == "tiny") {
    if (arch == "deepseek2") {
      s = tiny_v2(1024);
    } else if (arch == "llama" || arch == "qwen2") {
      s = tiny_dense(arch);
    } else {
      fail(ErrorKind::kInvalidInput, "--arch: unknown architecture '{}' (llama, qwen2, deepseek2)",
           arch);
    }
  } else if (preset == "tiny-v3") {
    s = tiny_v3();
  } else if (preset == "demo") {
    // The README's default model: qwen2 (ChatML template), small enough to answer in well under
    // a second on 2 cores; random weights, so its output is not meaningful.
    s = tiny_dense("qwen2");
    s.tokenizer_pre = "qwen2";
    s.n_vocab = 1024;  // all learned tokens: the built-in corpus does not fill more
    s.n_embd = 512;
    s.n_layer = 4;
    s.n_head = 8;
    s.n_head_kv = 2;
    s.n_ff = 1408;
    s.n_ctx = 4096;
  } else if (preset == "deepseek-llm-7b") {
    s.arch = "llama";
    s.tokenizer_pre = "deepseek-llm";
    s.n_vocab = 102400;
    s.n_embd = 4096;
    s.n_layer = 30;
    s.n_head = 32;
    s.n_head_kv = 32;
    s.n_ff = 11008;
    s.n_ctx = 4096;
  } else if (preset == "r1-distill-qwen-1.5b") {
    s.arch = "qwen2";
    s.tokenizer_pre = "deepseek-r1-qwen";
    s.n_vocab = 151936;
    s.n_embd = 1536;
    s.n_layer = 28;
    s.n_head = 12;
    s.n_head_kv = 2;
    s.n_ff = 8960;
    s.n_ctx = 131072;
    s.qkv_bias = true;
  } else if (preset == "deepseek-v2-lite") {
    s = tiny_v2(102400);
    s.n_embd = 2048;
    s.n_layer = 27;
    s.n_head = 16;
    s.n_head_kv = 16;
    s.n_ff = 10944;
    s.n_ctx = 163840;
    s.kv_lora_rank = 512;
    s.qk_nope_dim = 128;
    s.qk_rope_dim = 64;
    s.v_head_dim = 128;
    s.n_expert = 64;
    s.n_expert_used = 6;
    s.n_expert_shared = 2;
    s.n_ff_expert = 1408;
  } else {
    std::string names;
    for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
    fail(ErrorKind::kInvalidInput, "--preset: unknown preset '{}' (one of: {})", preset, names);
  }
  if (!arch.empty() && s.arch != arch) {
    fail(ErrorKind::kInvalidInput, "--preset {} is a {} model, but --arch {} was given", preset,
         s.arch, arch);
  }
  s.preset = preset;
  return s;
}

FileType parse_file_type(const std::string& name) {
  static const std::vector<FileType> kTypes = {
      {"f32", DType::kF32, 0},    {"f16", DType::kF16, 1},    {"bf16", DType::kBF16, 32},
      {"q8_0", DType::kQ8_0, 7},  {"q4_0", DType::kQ4_0, 2},  {"q4_k", DType::kQ4_K, 15},
      {"q5_k", DType::kQ5_K, 17}, {"q6_k", DType::kQ6_K, 18},
  };
  for (const auto& t : kTypes) {
    if (t.name == name) return t;
  }
  fail(ErrorKind::kInvalidInput,
       "--type: unknown type '{}' (f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k)", name);
}

std::vector<TensorPlan> plan_tensors(const ModelSpec& spec, const FileType& type) {
  std::vector<TensorPlan> out;
  const DType base = type.base;
  const bool quantized = base != DType::kF32 && base != DType::kF16 && base != DType::kBF16;

  // Picks the stored type of a 2-D/3-D weight; `more_bits` marks tensors the K-quant "_M" mixes
  // store with more precision.
  auto pick = [&](const std::string& name, int64_t row, bool more_bits, bool is_output) {
    DType t = base;
    if (is_output && quantized && base != DType::kQ8_0) t = DType::kQ6_K;
    if (is_k_type(base) && more_bits) t = DType::kQ6_K;
    if (base == DType::kQ4_K && spec.n_expert == 8 &&
        name.find("attn_output") != std::string::npos) {
      t = DType::kQ5_K;
    }
    const auto& info = tensor::dtype_info(t);
    if (row % info.block_size != 0) t = fallback(t);
    if (row % tensor::dtype_info(t).block_size != 0) t = DType::kF16;
    return t;
  };
  auto add_norm = [&](const std::string& name, int64_t n) {
    out.push_back({name, {n}, DType::kF32, 0.1f, true});
  };
  auto add_bias = [&](const std::string& name, int64_t n) {
    out.push_back({name, {n}, DType::kF32, 0.05f, false});
  };
  auto add_weight = [&](const std::string& name, std::vector<int64_t> shape, bool more_bits = false,
                        bool is_output = false) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(shape[0]));
    const DType t = pick(name, shape[0], more_bits, is_output);
    out.push_back({name, std::move(shape), t, scale, false});
  };

  const bool has_output = !spec.tied_embeddings;
  if (has_output) add_weight("output.weight", {spec.n_embd, spec.n_vocab}, false, true);
  add_norm("output_norm.weight", spec.n_embd);
  // Tied embeddings double as the output head, so they get the head's type.
  add_weight("token_embd.weight", {spec.n_embd, spec.n_vocab}, false, !has_output);

  const int64_t n = spec.n_layer;
  for (int64_t i = 0; i < n; ++i) {
    const std::string p = fmt::format("blk.{}.", i);
    const bool more = use_more_bits(i, n) && base == DType::kQ4_K;
    const bool more_q5 = use_more_bits(i, n) && base == DType::kQ5_K;
    const bool extra = more || more_q5;
    if (spec.arch == "deepseek2") {
      const int64_t head_k = spec.qk_nope_dim + spec.qk_rope_dim;
      add_norm(p + "attn_norm.weight", spec.n_embd);
      if (spec.q_lora_rank > 0) {
        add_weight(p + "attn_q_a.weight", {spec.n_embd, spec.q_lora_rank});
        add_norm(p + "attn_q_a_norm.weight", spec.q_lora_rank);
        add_weight(p + "attn_q_b.weight", {spec.q_lora_rank, spec.n_head * head_k});
      } else {
        add_weight(p + "attn_q.weight", {spec.n_embd, spec.n_head * head_k});
      }
      add_weight(p + "attn_kv_a_mqa.weight", {spec.n_embd, spec.kv_lora_rank + spec.qk_rope_dim});
      add_norm(p + "attn_kv_a_norm.weight", spec.kv_lora_rank);
      add_weight(p + "attn_k_b.weight", {spec.qk_nope_dim, spec.kv_lora_rank, spec.n_head});
      add_weight(p + "attn_v_b.weight", {spec.kv_lora_rank, spec.v_head_dim, spec.n_head});
      add_weight(p + "attn_output.weight", {spec.n_head * spec.v_head_dim, spec.n_embd});
      add_norm(p + "ffn_norm.weight", spec.n_embd);
      if (i < spec.n_dense_lead) {
        add_weight(p + "ffn_gate.weight", {spec.n_embd, spec.n_ff});
        add_weight(p + "ffn_up.weight", {spec.n_embd, spec.n_ff});
        add_weight(p + "ffn_down.weight", {spec.n_ff, spec.n_embd}, extra);
      } else {
        out.push_back({p + "ffn_gate_inp.weight",
                       {spec.n_embd, spec.n_expert},
                       DType::kF32,
                       1.0f / std::sqrt(static_cast<float>(spec.n_embd)),
                       false});
        if (spec.gating_func == 2) {
          add_bias(p + "exp_probs_b.bias", spec.n_expert);
        }
        const int64_t ffe = spec.n_ff_expert;
        add_weight(p + "ffn_gate_exps.weight", {spec.n_embd, ffe, spec.n_expert});
        add_weight(p + "ffn_up_exps.weight", {spec.n_embd, ffe, spec.n_expert});
        add_weight(p + "ffn_down_exps.weight", {ffe, spec.n_embd, spec.n_expert}, extra);
        const int64_t ffs = ffe * spec.n_expert_shared;
        add_weight(p + "ffn_gate_shexp.weight", {spec.n_embd, ffs});
        add_weight(p + "ffn_up_shexp.weight", {spec.n_embd, ffs});
        add_weight(p + "ffn_down_shexp.weight", {ffs, spec.n_embd}, extra);
      }
      continue;
    }
    const int64_t head_dim = spec.n_embd / spec.n_head;
    const int64_t kv_dim = head_dim * spec.n_head_kv;
    add_norm(p + "attn_norm.weight", spec.n_embd);
    add_weight(p + "attn_q.weight", {spec.n_embd, spec.n_embd});
    add_weight(p + "attn_k.weight", {spec.n_embd, kv_dim});
    add_weight(p + "attn_v.weight", {spec.n_embd, kv_dim}, extra);
    if (spec.qkv_bias) {
      add_bias(p + "attn_q.bias", spec.n_embd);
      add_bias(p + "attn_k.bias", kv_dim);
      add_bias(p + "attn_v.bias", kv_dim);
    }
    add_weight(p + "attn_output.weight", {spec.n_embd, spec.n_embd});
    add_norm(p + "ffn_norm.weight", spec.n_embd);
    add_weight(p + "ffn_gate.weight", {spec.n_embd, spec.n_ff});
    add_weight(p + "ffn_up.weight", {spec.n_embd, spec.n_ff});
    add_weight(p + "ffn_down.weight", {spec.n_ff, spec.n_embd}, extra);
  }
  return out;
}

}  // namespace dsinfer::cli
