// `dsinfer chat-template`: renders a conversation (JSON file) with a model's chat template and
// prints the prompt exactly as it would be tokenized, or (--ids) its token ids as the server
// computes them (special tokens only from the template's own text).
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
  bool ids = false;
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
  cmd->add_flag("--ids", args->ids,
                "Print the prompt's token ids, space separated (control tokens only from the "
                "template, never from message text)");
  cmd->callback([args] {
    std::ifstream in(args->messages, std::ios::binary);
    if (!in) fail(ErrorKind::kNotFound, "cannot read --messages '{}'", args->messages);
    const std::string json(std::istreambuf_iterator<char>(in), {});
    const auto gguf = gguf::GgufFile::open(args->model);
    const auto tok = tokenizer::Tokenizer::from_gguf(*gguf);
    const auto tmpl = tokenizer::ChatTemplate::from_gguf(*gguf, *tok);
    const auto prompt = tmpl.prompt_json(json, !args->no_generation_prompt);
    if (!args->ids) {
      std::fwrite(prompt.text.data(), 1, prompt.text.size(), stdout);
      return;
    }
    std::string line;
    for (int32_t id : tmpl.tokenize(*tok, prompt)) {
      line += line.empty() ? "" : " ";
      line += std::to_string(id);
    }
    std::printf("%s\n", line.c_str());
  });
}

}  // namespace dsinfer::cli
