// Vocabulary loading and validation (see vocab.h).
#include "tokenizer/vocab.h"

#include <algorithm>
#include <array>

#include "base/error.h"
#include "gguf/gguf_value.h"

namespace dsinfer::tokenizer {

namespace {

// Token texts that end a turn in the families we serve (besides the declared EOS/EOT/EOM ids).
constexpr std::array<std::string_view, 9> kEogTexts = {
    "<|EOT|>",
    "<|im_end|>",
    "<\xEF\xBD\x9C"
    "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|end|>",
    "<end_of_turn>",
    "<EOT>",
};

int32_t optional_id(const gguf::Metadata& md, std::string_view key) {
  const auto v = md.get_uint_opt(key);
  if (!v) return -1;
  if (*v > static_cast<uint64_t>(INT32_MAX)) return -1;
  return static_cast<int32_t>(*v);
}

}  // namespace

VocabSpec read_vocab_spec(const gguf::Metadata& md, std::string_view file) {
  const auto model = md.get_string_opt("tokenizer.ggml.model");
  if (!model) {
    fail(ErrorKind::kBadFile, "{}: no tokenizer (key tokenizer.ggml.model is missing)", file);
  }
  if (*model != "gpt2") {
    fail(ErrorKind::kUnsupported,
         "{}: tokenizer model '{}' is not supported (supported: gpt2 = byte-level BPE)", file,
         *model);
  }
  VocabSpec spec;
  spec.tokens = md.get_string_array("tokenizer.ggml.tokens");
  if (md.has("tokenizer.ggml.merges")) spec.merges = md.get_string_array("tokenizer.ggml.merges");
  if (md.has("tokenizer.ggml.token_type")) {
    const auto types = md.get_int_array("tokenizer.ggml.token_type");
    spec.types.reserve(types.size());
    for (int64_t t : types) {
      spec.types.push_back((t >= 0 && t <= 6) ? static_cast<TokenType>(t) : TokenType::kUndefined);
    }
  }
  const auto pre = md.get_string_opt("tokenizer.ggml.pre");
  if (!pre) {
    fail(ErrorKind::kUnsupported,
         "{}: key tokenizer.ggml.pre is missing; the pre-tokenizer must be named (re-convert the "
         "model with a current converter)",
         file);
  }
  spec.pre = *pre;
  spec.bos_id = optional_id(md, "tokenizer.ggml.bos_token_id");
  spec.eos_id = optional_id(md, "tokenizer.ggml.eos_token_id");
  spec.pad_id = optional_id(md, "tokenizer.ggml.padding_token_id");
  spec.unk_id = optional_id(md, "tokenizer.ggml.unknown_token_id");
  spec.eot_id = optional_id(md, "tokenizer.ggml.eot_token_id");
  spec.eom_id = optional_id(md, "tokenizer.ggml.eom_token_id");
  spec.add_bos = md.get_bool_opt("tokenizer.ggml.add_bos_token").value_or(false);
  spec.add_eos = md.get_bool_opt("tokenizer.ggml.add_eos_token").value_or(false);
  return spec;
}

Vocab::Vocab(VocabSpec spec, std::string origin)
    : spec_(std::move(spec)), origin_(std::move(origin)) {
  const size_t n = spec_.tokens.size();
  if (n == 0) fail(ErrorKind::kBadFile, "{}: the vocabulary is empty", origin_);
  if (n > static_cast<size_t>(INT32_MAX)) {
    fail(ErrorKind::kBadFile, "{}: the vocabulary has too many tokens ({})", origin_, n);
  }
  if (!spec_.types.empty() && spec_.types.size() != n) {
    fail(ErrorKind::kBadFile, "{}: {} token types for {} tokens", origin_, spec_.types.size(), n);
  }
  types_ = spec_.types.empty() ? std::vector<TokenType>(n, TokenType::kNormal) : spec_.types;
  ids_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    // First id wins for duplicate texts, as in the reference.
    ids_.emplace(spec_.tokens[i], static_cast<int32_t>(i));
  }
  const auto check_id = [&](int32_t& id, const char* what) {
    if (id >= static_cast<int32_t>(n)) {
      fail(ErrorKind::kBadFile, "{}: {} id {} is outside the vocabulary (size {})", origin_, what,
           id, n);
    }
    if (id < 0) id = -1;
  };
  check_id(spec_.bos_id, "BOS");
  check_id(spec_.eos_id, "EOS");
  check_id(spec_.pad_id, "padding");
  check_id(spec_.unk_id, "unknown-token");
  check_id(spec_.eot_id, "EOT");
  check_id(spec_.eom_id, "EOM");

  for (int32_t id : {spec_.eos_id, spec_.eot_id, spec_.eom_id}) {
    if (id >= 0) eog_ids_.push_back(id);
  }
  for (std::string_view t : kEogTexts) {
    if (auto id = find(t)) eog_ids_.push_back(*id);
  }
  std::sort(eog_ids_.begin(), eog_ids_.end());
  eog_ids_.erase(std::unique(eog_ids_.begin(), eog_ids_.end()), eog_ids_.end());
}

std::optional<int32_t> Vocab::find(std::string_view text) const {
  const auto it = ids_.find(text);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace dsinfer::tokenizer
