// `dsinfer chat-template`: renders a conversation (JSON file) with a model's chat template and
// prints the prompt exactly as it would be tokenized.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "base/error.h"
#include "cli/commands.h"
#include "gguf/gguf_file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer::cli {

namespace {
struct ChatTemplateArgs {
  std::string model;
  std::string messages;
  bool no_generation_prompt = false;
};
}  // namespace

void add_chat_template(CLI::App& app) {
  auto args = std::make_shared<ChatTemplateArgs>();
  auto* cmd = app.add_subcommand(
      "chat-template", "Render a conversation with the model's chat template (no newline added)");
  cmd->add_option("--model", args->model, "GGUF model (or vocab-only) file")->required();
  cmd->add_option("--messages", args->messages,
                  R"(JSON file: [{"role":"user","content":"..."}, ...])")
      ->required();
  cmd->add_flag("--no-generation-prompt", args->no_generation_prompt,
                "Do not open the assistant's turn at the end");
  cmd->callback([args] {
    std::ifstream in(args->messages, std::ios::binary);
    if (!in) fail(ErrorKind::kNotFound, "cannot read --messages '{}'", args->messages);
    const std::string json(std::istreambuf_iterator<char>(in), {});
    const auto gguf = gguf::GgufFile::open(args->model);
    const auto tok = tokenizer::Tokenizer::from_gguf(*gguf);
    const auto tmpl = tokenizer::ChatTemplate::from_gguf(*gguf, *tok);
    const std::string prompt = tmpl.render_json(json, !args->no_generation_prompt);
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  });
}

}  // namespace dsinfer::cli
