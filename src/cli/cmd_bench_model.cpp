// `dsinfer bench-model`: placeholder until its issue lands (fails with a clear message).
#include "base/error.h"
#include "cli/commands.h"

namespace dsinfer::cli {

void add_bench_model(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench-model", "(not available yet)");
  cmd->allow_extras();
  cmd->callback(
      [] { fail(ErrorKind::kUnsupported, "'bench-model' is not implemented in this build"); });
}

}  // namespace dsinfer::cli
