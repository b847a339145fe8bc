// Shapes of the models `make-model` writes: presets (tiny test models, the demo model, real
// DeepSeek shapes) and the tensor list with the per-tensor weight type of each file type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace dsinfer::cli {

struct ModelSpec {
  std::string preset;
  std::string arch;           // llama | qwen2 | deepseek2
  std::string tokenizer_pre;  // deepseek-llm, deepseek-r1-qwen, qwen2, deepseek-v3
  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t n_ff = 0;
  int64_t n_ctx = 0;
  float rope_base = 10000.0f;
  float rms_eps = 1e-6f;
  bool tied_embeddings = false;
  bool qkv_bias = false;
  // deepseek2 only
  int64_t q_lora_rank = 0;  // 0: plain attn_q
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_dim = 0;
  int64_t qk_rope_dim = 0;
  int64_t v_head_dim = 0;
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t n_expert_shared = 0;
  int64_t n_ff_expert = 0;
  int64_t n_dense_lead = 0;
  int gating_func = 1;  // 1 softmax (V2), 2 sigmoid (V3)
  int64_t n_expert_group = 1;
  int64_t n_expert_group_used = 1;
  bool expert_weights_norm = false;
  float expert_weights_scale = 1.0f;
  float yarn_factor = 0.0f;  // 0: no YaRN scaling
  int64_t yarn_orig_ctx = 0;
  float yarn_log_multiplier = 0.0f;
};

// Preset names for `--preset`, and the spec of one (throws Error(kInvalidInput) listing the
// valid names when `preset` is unknown or does not exist for `arch`).
std::vector<std::string> preset_names();
ModelSpec preset_spec(const std::string& arch, const std::string& preset);

// The file types `--type` accepts and their GGUF general.file_type numbers.
struct FileType {
  std::string name;    // f32 f16 bf16 q8_0 q4_0 q4_k q5_k q6_k
  tensor::DType base;  // type of most 2-D weights
  uint32_t file_type;  // general.file_type (q4_k = Q4_K_M mix, q5_k = Q5_K_M)
};
FileType parse_file_type(const std::string& name);

struct TensorPlan {
  std::string name;
  std::vector<int64_t> shape;  // GGUF order (shape[0] innermost)
  tensor::DType type;
  float init_scale;  // values drawn uniform in [-s, s] ...
  bool around_one;   // ... plus 1 (norm weights)
};

// Every tensor of the model, in file order, with the weight type a converted file of `type` has:
// 1-D tensors and the MoE router stay F32; K-quant mixes give attn_v / ffn_down of some layers
// more bits and the output head Q6_K, like real "_M" files; a row width that is not a multiple of
// the type's block falls back to the next type that fits (Q4_K->Q5_0, Q5_K->Q5_1, Q6_K->Q8_0).
std::vector<TensorPlan> plan_tensors(const ModelSpec& spec, const FileType& type);

}  // namespace dsinfer::cli
