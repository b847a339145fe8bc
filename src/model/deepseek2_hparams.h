// Hyper-parameters of the deepseek2 architecture (DeepSeek-V2 / V2-Lite / V3): MLA head split,
// low-rank ranks, MoE routing settings and the YaRN scale factors, read from GGUF metadata.
#pragma once

#include <cstdint>

#include "gguf/gguf_file.h"
#include "kernels/rope.h"
#include "model/hparams.h"

namespace dsinfer::model {

enum class ExpertGating { kSoftmax = 1, kSigmoid = 2 };

struct Deepseek2Hparams {
  TransformerHparams base;    // layers, n_embd, heads, vocab, eps, RoPE as stored
  int64_t q_lora_rank = 0;    // 0: plain attn_q; else attn_q_a -> norm -> attn_q_b
  int64_t kv_lora_rank = 0;   // width of the compressed KV latent
  int64_t head_dim_nope = 0;  // non-RoPE part of each query/key head
  int64_t head_dim_rope = 0;  // RoPE part (rope.dimension_count), shared key across heads
  int64_t head_dim_v = 0;     // value head size
  int64_t n_dense_lead = 0;   // leading layers with a dense FFN
  int64_t n_expert = 0;       // routed experts (0: every layer dense)
  int64_t n_expert_used = 0;  // experts per token
  int64_t n_expert_shared = 0;
  int64_t n_ff_exp = 0;  // routed expert FFN width (shared: n_ff_exp * n_expert_shared)
  ExpertGating gating = ExpertGating::kSoftmax;
  int64_t n_expert_groups = 1;  // group-limited routing (V3): groups of experts
  int64_t n_expert_groups_used = 1;
  bool expert_weights_norm = false;   // normalise the selected weights to sum 1
  float expert_weights_scale = 1.0f;  // routed scaling factor
  float yarn_beta_fast = 32.0f;
  float yarn_beta_slow = 1.0f;

  int64_t head_dim_qk() const { return head_dim_nope + head_dim_rope; }
  // Elements of one cached token per layer: the normalised latent plus the RoPE key.
  int64_t kv_row_elems() const { return kv_lora_rank + head_dim_rope; }
  bool is_moe_layer(int64_t layer) const { return n_expert > 0 && layer >= n_dense_lead; }
};

// Reads and validates deepseek2 hyper-parameters. Head sizes come from key_length_mla /
// value_length_mla when present (split k_b/v_b files), else key_length / value_length (older
// attn_kv_b files). Throws Error(kBadFile) naming the file and key for missing or inconsistent
// values, Error(kUnsupported) for an unknown gating function.
Deepseek2Hparams read_deepseek2_hparams(const gguf::GgufFile& file);

// NOTE: the reference pre-scales YaRN for deepseek2: the RoPE magnitude factor is set to
// 1 / (1 + 0.1 ln(1/freq_scale)) so that it cancels the kernel's YaRN magnitude term (cos/sin
// keep unit length), and the softmax scale becomes mscale^2 / sqrt(head_dim_qk) with
// mscale = 1 + yarn_log_multiplier * ln(1/freq_scale) (DeepSeek's yarn_get_mscale with
// mscale_all_dim folded into the multiplier).
struct Deepseek2Scales {
  kernels::RopeConfig rope;  // normal (adjacent pair) layout, n_dims = head_dim_rope
  float kq_scale = 1.0f;
};
Deepseek2Scales make_deepseek2_scales(const Deepseek2Hparams& hp);

}  // namespace dsinfer::model
