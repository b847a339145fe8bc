// `dsinfer tokenize` (text -> token ids, optionally JSON with pieces) and `dsinfer detokenize`
// (ids -> text) for a model file's tokenizer.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/token_ids.h"
#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer::cli {

namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  std::string file;
  bool no_bos = false;
  bool no_special = false;
  bool json = false;
};

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kNotFound, "cannot read --file '{}'", path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void run_tokenize(const TokenizeArgs& args, bool text_given, bool file_given) {
  if (text_given == file_given) {
    fail(ErrorKind::kInvalidInput, "tokenize: give exactly one of --text or --file");
  }
  const std::string text = file_given ? read_file_bytes(args.file) : args.text;
  const auto gguf = gguf::GgufFile::open(args.model);
  const auto tok = tokenizer::Tokenizer::from_gguf(*gguf);
  const bool add_bos = !args.no_bos && tok->add_bos_default();
  const auto ids = tok->encode(text, add_bos, !args.no_special);
  if (args.json) {
    nlohmann::json out;
    out["ids"] = ids;
    auto pieces = nlohmann::json::array();
    for (int32_t id : ids) {
      // Pieces may be partial UTF-8 characters; invalid bytes are replaced for JSON.
      pieces.push_back(tok->token_piece(id));
    }
    out["pieces"] = std::move(pieces);
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) line += ' ';
    line += std::to_string(ids[i]);
  }
  std::printf("%s\n", line.c_str());
}

}  // namespace

void add_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text for a model");
  cmd->add_option("--model", args->model, "GGUF model (or vocab-only) file")->required();
  auto* text_opt = cmd->add_option("--text", args->text, "Text to tokenize");
  auto* file_opt = cmd->add_option("--file", args->file, "File whose bytes are tokenized as is");
  cmd->add_flag("--no-bos", args->no_bos, "Do not add BOS (even if the model asks for it)");
  cmd->add_flag("--no-special", args->no_special,
                "Treat control-token text (e.g. <|im_start|>) as plain text");
  cmd->add_flag("--json", args->json, R"(Print {"ids":[...],"pieces":[...]})");
  cmd->callback([args, text_opt, file_opt] {
    run_tokenize(*args, text_opt->count() > 0, file_opt->count() > 0);
  });

  auto ids_text = std::make_shared<std::string>();
  auto model = std::make_shared<std::string>();
  auto* detok = app.add_subcommand("detokenize", "Print the text of token ids for a model");
  detok->add_option("--model", *model, "GGUF model (or vocab-only) file")->required();
  detok->add_option("--ids", *ids_text, "Token ids, comma separated (e.g. 1,2,3)")->required();
  detok->callback([ids_text, model] {
    const auto ids = parse_token_ids(*ids_text, "--ids");
    const auto gguf = gguf::GgufFile::open(*model);
    const auto tok = tokenizer::Tokenizer::from_gguf(*gguf);
    const std::string text = tok->decode(ids);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
  });
}

}  // namespace dsinfer::cli
