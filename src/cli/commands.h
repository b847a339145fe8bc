// Every subcommand of the dsinfer binary registers itself on the CLI11 app through one of these
// functions (one file per subcommand); the subcommand's callback runs the command.
#pragma once

#include <CLI/CLI.hpp>

namespace dsinfer::cli {

void add_inspect(CLI::App& app);
void add_make_model(CLI::App& app);
void add_tokenize(CLI::App& app);  // also `detokenize`
void add_chat_template(CLI::App& app);
void add_logits(CLI::App& app);
void add_generate(CLI::App& app);
void add_bench_model(CLI::App& app);
void add_translate(CLI::App& app);
void add_serve(CLI::App& app);
void add_bench(CLI::App& app);  // also `bench sweep`
void add_plan(CLI::App& app);

}  // namespace dsinfer::cli
