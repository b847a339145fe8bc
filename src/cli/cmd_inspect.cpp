// `dsinfer inspect FILE.gguf [--json] [--tensors]`: what a model file holds (architecture, sizes,
// tokenizer, tensor types), as a table or as JSON with the keys of the golden models.json.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/commands.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_summary.h"
#include "tensor/dtype.h"

namespace dsinfer::cli {
namespace {

using Json = nlohmann::ordered_json;

struct InspectArgs {
  std::string path;
  bool json = false;
  bool tensors = false;
};

template <typename T>
Json opt(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

Json summary_json(const gguf::GgufFile& file, const gguf::ModelSummary& s, bool with_tensors) {
  Json j;
  j["file"] = file.path();
  j["architecture"] = s.architecture;
  j["block_count"] = opt(s.block_count);
  j["embedding_length"] = opt(s.embedding_length);
  j["head_count"] = opt(s.head_count);
  j["head_count_kv"] = opt(s.head_count_kv);
  j["feed_forward_length"] = opt(s.feed_forward_length);
  j["context_length"] = opt(s.context_length);
  j["expert_count"] = opt(s.expert_count);
  j["vocab_size"] = opt(s.vocab_size);
  j["tokenizer_model"] = opt(s.tokenizer_model);
  j["tokenizer_pre"] = opt(s.tokenizer_pre);
  j["has_chat_template"] = s.has_chat_template;
  j["tensor_count"] = s.tensor_count;
  j["parameter_count"] = s.parameter_count;
  j["tensor_types"] = Json(s.tensor_types);
  j["file_type"] = opt(s.file_type);
  j["file_type_name"] = s.file_type ? Json(gguf::file_type_name(*s.file_type)) : Json(nullptr);
  j["name"] = opt(s.name);
  j["gguf_version"] = s.gguf_version;
  j["alignment"] = s.alignment;
  j["split_count"] = s.split_count;
  j["file_bytes"] = s.file_bytes;
  j["tensor_bytes"] = s.tensor_bytes;
  j["bytes_by_type"] = Json(s.bytes_by_type);
  j["expert_used_count"] = opt(s.expert_used_count);
  j["expert_shared_count"] = opt(s.expert_shared_count);
  j["expert_feed_forward_length"] = opt(s.expert_feed_forward_length);
  j["leading_dense_block_count"] = opt(s.leading_dense_block_count);
  j["q_lora_rank"] = opt(s.q_lora_rank);
  j["kv_lora_rank"] = opt(s.kv_lora_rank);
  j["rope_dimension_count"] = opt(s.rope_dimension_count);
  j["rope_freq_base"] = opt(s.rope_freq_base);
  j["rope_scaling_type"] = opt(s.rope_scaling_type);
  j["rope_scaling_factor"] = opt(s.rope_scaling_factor);
  j["rope_scaling_original_context_length"] = opt(s.rope_scaling_original_context_length);
  if (with_tensors) {
    Json list = Json::array();
    for (const auto& t : file.tensors()) {
      Json e;
      e["name"] = t.name;
      e["type"] = tensor::dtype_name(t.type);
      e["shape"] = t.shape;
      e["offset"] = t.file_offset;
      e["n_bytes"] = t.n_bytes;
      e["split"] = t.file_index;
      list.push_back(std::move(e));
    }
    j["tensors"] = std::move(list);
  }
  return j;
}

template <typename T>
std::string text(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : std::string("-");
}

std::string human_bytes(uint64_t n) {
  if (n >= (uint64_t{1} << 30))
    return fmt::format("{:.2f} GiB", static_cast<double>(n) / (1 << 30));
  if (n >= (uint64_t{1} << 20))
    return fmt::format("{:.2f} MiB", static_cast<double>(n) / (1 << 20));
  if (n >= (uint64_t{1} << 10))
    return fmt::format("{:.2f} KiB", static_cast<double>(n) / (1 << 10));
  return fmt::format("{} B", n);
}

void print_table(const gguf::GgufFile& file, const gguf::ModelSummary& s, bool with_tensors) {
  auto row = [](const char* key, const std::string& value) {
    std::printf("%-28s %s\n", key, value.c_str());
  };
  row("file", file.path());
  row("name", text(s.name));
  row("gguf version", fmt::format("{} (alignment {})", s.gguf_version, s.alignment));
  row("splits", fmt::format("{}", s.split_count));
  row("file size", fmt::format("{} ({} bytes)", human_bytes(s.file_bytes), s.file_bytes));
  row("architecture", s.architecture.empty() ? "-" : s.architecture);
  row("file type",
      s.file_type ? fmt::format("{} ({})", gguf::file_type_name(*s.file_type), *s.file_type) : "-");
  row("parameters", fmt::format("{} ({:.3f} B)", s.parameter_count,
                                static_cast<double>(s.parameter_count) / 1e9));
  row("context length", text(s.context_length));
  row("embedding size", text(s.embedding_length));
  row("layers", text(s.block_count));
  row("heads", text(s.head_count));
  row("KV heads", text(s.head_count_kv));
  row("FFN size", text(s.feed_forward_length));
  if (s.expert_count) {
    row("experts",
        fmt::format("{} ({} used, {} shared, FFN {}, {} leading dense layers)", *s.expert_count,
                    text(s.expert_used_count), text(s.expert_shared_count),
                    text(s.expert_feed_forward_length), text(s.leading_dense_block_count)));
  } else {
    row("experts", "-");
  }
  if (s.kv_lora_rank || s.q_lora_rank) {
    row("MLA ranks (q / kv)", fmt::format("{} / {}", text(s.q_lora_rank), text(s.kv_lora_rank)));
  }
  row("RoPE",
      fmt::format("dims {}, base {}, scaling {} x{} (original context {})",
                  text(s.rope_dimension_count), text(s.rope_freq_base), text(s.rope_scaling_type),
                  text(s.rope_scaling_factor), text(s.rope_scaling_original_context_length)));
  row("vocabulary size", text(s.vocab_size));
  row("tokenizer model / pre",
      fmt::format("{} / {}", text(s.tokenizer_model), text(s.tokenizer_pre)));
  row("chat template", s.has_chat_template ? "present" : "absent");
  row("tensors", fmt::format("{} ({})", s.tensor_count, human_bytes(s.tensor_bytes)));
  for (const auto& [type, count] : s.tensor_types) {
    row(fmt::format("  {}", type).c_str(),
        fmt::format("{} tensors, {}", count, human_bytes(s.bytes_by_type.at(type))));
  }
  if (with_tensors) {
    std::printf("\n%-48s %-8s %-24s %14s %s\n", "name", "type", "shape", "offset",
                file.split_count() > 1 ? "split" : "");
    for (const auto& t : file.tensors()) {
      const std::string split =
          file.split_count() > 1 ? fmt::format("{}", t.file_index + 1) : std::string();
      std::printf("%-48s %-8s %-24s %14llu %s\n", t.name.c_str(), tensor::dtype_name(t.type),
                  shape_text(t.shape).c_str(), static_cast<unsigned long long>(t.file_offset),
                  split.c_str());
    }
  }
}

void run_inspect(const InspectArgs& args) {
  const auto file = gguf::GgufFile::open(args.path);
  const gguf::ModelSummary s = gguf::summarize(*file);
  if (args.json) {
    std::printf("%s\n", summary_json(*file, s, args.tensors).dump(2).c_str());
  } else {
    print_table(*file, s, args.tensors);
  }
}

}  // namespace

void add_inspect(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  auto* cmd = app.add_subcommand("inspect", "Show what a GGUF model file holds");
  cmd->add_option("file", args->path, "Model file (.gguf; first split of a split set)")->required();
  cmd->add_flag("--json", args->json, "JSON output (keys of the golden models.json, and more)");
  cmd->add_flag("--tensors", args->tensors, "Also list every tensor: name, type, shape, offset");
  cmd->callback([args] { run_inspect(*args); });
}

}  // namespace dsinfer::cli
