// Reading llama-family hyper-parameters from GGUF metadata.
#include "model/hparams.h"

#include "base/error.h"

namespace dsinfer::model {

int64_t ArchMetadata::positive_int(const std::string& suffix) const {
  const std::string k = key(suffix);
  if (!file_.metadata().has(k)) {
    fail(ErrorKind::kBadFile, "{}: missing metadata key '{}'", path(), k);
  }
  const int64_t v = file_.metadata().get_int(k);
  if (v <= 0) fail(ErrorKind::kBadFile, "{}: metadata '{}' = {} must be > 0", path(), k, v);
  return v;
}

std::optional<int64_t> ArchMetadata::int_opt(const std::string& suffix) const {
  const std::string k = key(suffix);
  if (!file_.metadata().has(k)) return std::nullopt;
  return file_.metadata().get_int(k);
}

std::optional<double> ArchMetadata::float_opt(const std::string& suffix) const {
  return file_.metadata().get_float_opt(key(suffix));
}

std::optional<std::string> ArchMetadata::string_opt(const std::string& suffix) const {
  return file_.metadata().get_string_opt(key(suffix));
}

TransformerHparams read_transformer_hparams(const gguf::GgufFile& file, const std::string& arch) {
  const ArchMetadata md(file, arch);
  TransformerHparams hp;
  hp.arch = arch;
  hp.n_layer = md.positive_int("block_count");
  hp.n_embd = md.positive_int("embedding_length");
  hp.n_ff = md.positive_int("feed_forward_length");
  hp.n_head = md.positive_int("attention.head_count");
  hp.n_head_kv = md.int_opt("attention.head_count_kv").value_or(hp.n_head);
  if (hp.n_head_kv <= 0 || hp.n_head % hp.n_head_kv != 0) {
    fail(ErrorKind::kBadFile, "{}: '{}' = {} must be > 0 and divide head_count {}", file.path(),
         md.key("attention.head_count_kv"), hp.n_head_kv, hp.n_head);
  }
  if (hp.n_embd % hp.n_head != 0 && !md.int_opt("attention.key_length")) {
    fail(ErrorKind::kBadFile, "{}: embedding_length {} is not a multiple of head_count {}",
         file.path(), hp.n_embd, hp.n_head);
  }
  hp.head_dim_k = md.int_opt("attention.key_length").value_or(hp.n_embd / hp.n_head);
  hp.head_dim_v = md.int_opt("attention.value_length").value_or(hp.n_embd / hp.n_head);
  if (hp.head_dim_k <= 0 || hp.head_dim_v <= 0) {
    fail(ErrorKind::kBadFile, "{}: attention key/value length must be > 0 (got {} / {})",
         file.path(), hp.head_dim_k, hp.head_dim_v);
  }
  hp.n_ctx_train = md.positive_int("context_length");
  hp.rms_eps = static_cast<float>(md.float_opt("attention.layer_norm_rms_epsilon").value_or(1e-5));
  if (!(hp.rms_eps > 0.0f)) {
    fail(ErrorKind::kBadFile, "{}: '{}' must be > 0", file.path(),
         md.key("attention.layer_norm_rms_epsilon"));
  }

  if (auto v = md.int_opt("vocab_size"); v && *v > 0) {
    hp.n_vocab = *v;
  } else if (file.metadata().has("tokenizer.ggml.tokens")) {
    hp.n_vocab =
        static_cast<int64_t>(file.metadata().get_string_array("tokenizer.ggml.tokens").size());
  } else if (const auto* t = file.find_tensor("token_embd.weight");
             t != nullptr && t->shape.size() == 2) {
    hp.n_vocab = t->shape[1];
  } else {
    fail(ErrorKind::kBadFile, "{}: cannot determine the vocabulary size ({} and token list absent)",
         file.path(), md.key("vocab_size"));
  }

  RopeHparams& rope = hp.rope;
  rope.n_rot = md.int_opt("rope.dimension_count").value_or(hp.head_dim_k);
  if (rope.n_rot <= 0 || rope.n_rot % 2 != 0 || rope.n_rot > hp.head_dim_k) {
    fail(ErrorKind::kBadFile, "{}: '{}' = {} must be even and in (0, {}]", file.path(),
         md.key("rope.dimension_count"), rope.n_rot, hp.head_dim_k);
  }
  rope.freq_base = static_cast<float>(md.float_opt("rope.freq_base").value_or(10000.0));
  if (!(rope.freq_base > 0.0f)) {
    fail(ErrorKind::kBadFile, "{}: '{}' must be > 0", file.path(), md.key("rope.freq_base"));
  }
  const std::string type = md.string_opt("rope.scaling.type").value_or("");
  double factor = md.float_opt("rope.scaling.factor").value_or(0.0);
  if (type.empty() || type == "none") {
    // Older files carry only a linear scale.
    if (auto lin = md.float_opt("rope.scale_linear"); lin && *lin > 0.0 && *lin != 1.0) {
      rope.scaling = RopeScaling::kLinear;
      factor = *lin;
    }
  } else if (type == "linear") {
    rope.scaling = RopeScaling::kLinear;
  } else if (type == "yarn") {
    rope.scaling = RopeScaling::kYarn;
  } else {
    fail(ErrorKind::kUnsupported, "{}: rope scaling type '{}' ({}) is not supported", file.path(),
         type, md.key("rope.scaling.type"));
  }
  if (rope.scaling != RopeScaling::kNone) {
    if (factor == 0.0) factor = 1.0;
    if (!(factor > 0.0)) {
      fail(ErrorKind::kBadFile, "{}: '{}' = {} must be > 0", file.path(),
           md.key("rope.scaling.factor"), factor);
    }
    rope.scaling_factor = static_cast<float>(factor);
  }
  rope.n_ctx_orig = md.int_opt("rope.scaling.original_context_length").value_or(hp.n_ctx_train);
  rope.yarn_log_multiplier =
      static_cast<float>(md.float_opt("rope.scaling.yarn_log_multiplier").value_or(0.0));
  return hp;
}

kernels::RopeConfig make_rope_config(const RopeHparams& rope, kernels::RopeLayout layout) {
  kernels::RopeConfig c;
  c.layout = layout;
  c.n_dims = rope.n_rot;
  c.freq_base = rope.freq_base;
  c.freq_scale = 1.0f / rope.scaling_factor;
  c.ext_factor = rope.scaling == RopeScaling::kYarn ? 1.0f : 0.0f;
  c.attn_factor = 1.0f;
  c.n_ctx_orig = rope.n_ctx_orig;
  return c;
}

}  // namespace dsinfer::model
