// `dsinfer logits`: placeholder until its issue lands (fails with a clear message).
#include "base/error.h"
#include "cli/commands.h"

namespace dsinfer::cli {

void add_logits(CLI::App& app) {
  auto* cmd = app.add_subcommand("logits", "(not available yet)");
  cmd->allow_extras();
  cmd->callback([] { fail(ErrorKind::kUnsupported, "'logits' is not implemented in this build"); });
}

}  // namespace dsinfer::cli
