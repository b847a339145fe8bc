// `dsinfer generate`: placeholder until its issue lands (fails with a clear message).
#include "base/error.h"
#include "cli/commands.h"

namespace dsinfer::cli {

void add_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "(not available yet)");
  cmd->allow_extras();
  cmd->callback(
      [] { fail(ErrorKind::kUnsupported, "'generate' is not implemented in this build"); });
}

}  // namespace dsinfer::cli
