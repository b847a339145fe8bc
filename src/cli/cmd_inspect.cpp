// `dsinfer inspect`: placeholder until its issue lands (fails with a clear message).
#include "base/error.h"
#include "cli/commands.h"

namespace dsinfer::cli {

void add_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "(not available yet)");
  cmd->allow_extras();
  cmd->callback(
      [] { fail(ErrorKind::kUnsupported, "'inspect' is not implemented in this build"); });
}

}  // namespace dsinfer::cli
