// Reading deepseek2 hyper-parameters and deriving its RoPE / attention scales.
#include "model/deepseek2_hparams.h"

#include <cmath>

#include "base/error.h"

namespace dsinfer::model {

Deepseek2Hparams read_deepseek2_hparams(const gguf::GgufFile& file) {
  const std::string arch = "deepseek2";
  const ArchMetadata md(file, arch);
  Deepseek2Hparams hp;
  hp.base = read_transformer_hparams(file, arch);
  const TransformerHparams& b = hp.base;
  hp.q_lora_rank = md.int_opt("attention.q_lora_rank").value_or(0);
  // The low-rank query path is there when the file has attn_q_a (its width is the rank).
  if (const auto* qa = file.find_tensor("blk.0.attn_q_a.weight");
      hp.q_lora_rank == 0 && qa != nullptr && qa->shape.size() == 2) {
    hp.q_lora_rank = qa->shape[1];
  }
  hp.kv_lora_rank = md.positive_int("attention.kv_lora_rank");
  hp.head_dim_rope = b.rope.n_rot;
  const int64_t k_len = md.int_opt("attention.key_length_mla").value_or(b.head_dim_k);
  hp.head_dim_v = md.int_opt("attention.value_length_mla").value_or(b.head_dim_v);
  hp.head_dim_nope = k_len - hp.head_dim_rope;
  if (hp.q_lora_rank < 0 || hp.head_dim_nope <= 0 || hp.head_dim_v <= 0) {
    fail(ErrorKind::kBadFile,
         "{}: deepseek2 head sizes inconsistent: q_lora_rank {}, key length {} with {} RoPE dims, "
         "value length {}",
         file.path(), hp.q_lora_rank, k_len, hp.head_dim_rope, hp.head_dim_v);
  }
  if (b.n_head_kv != 1 && b.n_head_kv != b.n_head) {
    fail(ErrorKind::kBadFile, "{}: deepseek2 head_count_kv {} must be 1 or head_count {}",
         file.path(), b.n_head_kv, b.n_head);
  }
  hp.n_dense_lead = md.int_opt("leading_dense_block_count").value_or(0);
  hp.n_expert = md.int_opt("expert_count").value_or(0);
  if (hp.n_dense_lead < 0 || hp.n_expert < 0) {
    fail(ErrorKind::kBadFile, "{}: leading_dense_block_count {} / expert_count {} must be >= 0",
         file.path(), hp.n_dense_lead, hp.n_expert);
  }
  if (hp.n_expert > 0 && hp.n_dense_lead < b.n_layer) {
    hp.n_expert_used = md.positive_int("expert_used_count");
    hp.n_ff_exp = md.positive_int("expert_feed_forward_length");
    hp.n_expert_shared = md.int_opt("expert_shared_count").value_or(0);
    if (hp.n_expert_used > hp.n_expert || hp.n_expert_shared < 0) {
      fail(ErrorKind::kBadFile, "{}: expert_used_count {} > expert_count {} (or shared {} < 0)",
           file.path(), hp.n_expert_used, hp.n_expert, hp.n_expert_shared);
    }
    const int64_t gating = md.int_opt("expert_gating_func").value_or(1);
    if (gating == 1) {
      hp.gating = ExpertGating::kSoftmax;
    } else if (gating == 2) {
      hp.gating = ExpertGating::kSigmoid;
    } else {
      fail(ErrorKind::kUnsupported, "{}: '{}' = {} is not supported (1 softmax, 2 sigmoid)",
           file.path(), md.key("expert_gating_func"), gating);
    }
    hp.n_expert_groups = md.int_opt("expert_group_count").value_or(1);
    hp.n_expert_groups_used = md.int_opt("expert_group_used_count").value_or(hp.n_expert_groups);
    if (hp.n_expert_groups <= 0 || hp.n_expert % hp.n_expert_groups != 0 ||
        hp.n_expert_groups_used <= 0 || hp.n_expert_groups_used > hp.n_expert_groups ||
        hp.n_expert_used > hp.n_expert_groups_used * (hp.n_expert / hp.n_expert_groups)) {
      fail(ErrorKind::kBadFile,
           "{}: expert groups {} (used {}) must divide expert_count {} and leave room for {} "
           "experts per token",
           file.path(), hp.n_expert_groups, hp.n_expert_groups_used, hp.n_expert, hp.n_expert_used);
    }
    if (const auto& m = file.metadata(); m.has(md.key("expert_weights_norm"))) {
      hp.expert_weights_norm = m.get_bool(md.key("expert_weights_norm"));
    }
    hp.expert_weights_scale =
        static_cast<float>(md.float_opt("expert_weights_scale").value_or(1.0));
    if (!(hp.expert_weights_scale > 0.0f)) {
      fail(ErrorKind::kBadFile, "{}: '{}' must be > 0", file.path(),
           md.key("expert_weights_scale"));
    }
  } else {
    hp.n_expert = 0;
  }
  hp.yarn_beta_fast =
      static_cast<float>(md.float_opt("rope.scaling.yarn_beta_fast").value_or(32.0));
  hp.yarn_beta_slow = static_cast<float>(md.float_opt("rope.scaling.yarn_beta_slow").value_or(1.0));
  return hp;
}

Deepseek2Scales make_deepseek2_scales(const Deepseek2Hparams& hp) {
  Deepseek2Scales s;
  s.rope = make_rope_config(hp.base.rope, kernels::RopeLayout::kNormal);
  s.rope.beta_fast = hp.yarn_beta_fast;
  s.rope.beta_slow = hp.yarn_beta_slow;
  const float freq_scale = s.rope.freq_scale;
  const float log_inv = std::log(1.0f / freq_scale);
  const float mscale = 1.0f * (1.0f + hp.base.rope.yarn_log_multiplier * log_inv);
  s.kq_scale = 1.0f * mscale * mscale / std::sqrt(static_cast<float>(hp.head_dim_qk()));
  s.rope.attn_factor = 1.0f / (1.0f + 0.1f * log_inv);
  return s;
}

}  // namespace dsinfer::model
