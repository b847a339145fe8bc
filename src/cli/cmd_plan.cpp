// `dsinfer plan`: placeholder until its issue lands (fails with a clear message).
#include "base/error.h"
#include "cli/commands.h"

namespace dsinfer::cli {

void add_plan(CLI::App& app) {
  auto* cmd = app.add_subcommand("plan", "(not available yet)");
  cmd->allow_extras();
  cmd->callback([] { fail(ErrorKind::kUnsupported, "'plan' is not implemented in this build"); });
}

}  // namespace dsinfer::cli
