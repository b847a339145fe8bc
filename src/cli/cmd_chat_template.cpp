// `dsinfer chat-template`: placeholder until its issue lands (fails with a clear message).
#include "base/error.h"
#include "cli/commands.h"

namespace dsinfer::cli {

void add_chat_template(CLI::App& app) {
  auto* cmd = app.add_subcommand("chat-template", "(not available yet)");
  cmd->allow_extras();
  cmd->callback(
      [] { fail(ErrorKind::kUnsupported, "'chat-template' is not implemented in this build"); });
}

}  // namespace dsinfer::cli
