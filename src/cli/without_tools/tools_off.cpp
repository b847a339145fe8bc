// `dsinfer bench` and `dsinfer plan` in a build configured with -DDSINFER_TOOLS=OFF (the
// sanitizer trees: a server-only binary): the subcommands exist and say why they cannot run.
#include <string>

#include "base/error.h"
#include "cli/commands.h"

namespace dsinfer::cli {
namespace {

void add_missing_tool(CLI::App& app, const std::string& name, const std::string& what) {
  auto* cmd = app.add_subcommand(name, what + " (not in this build)");
  cmd->allow_extras();
  cmd->callback([name, what] {
    throw Error(ErrorKind::kUnsupported,
                "`dsinfer " + name + "` (" + what +
                    ") is not in this build: it was configured with -DDSINFER_TOOLS=OFF; "
                    "use a release build (bash scripts/build.sh release)");
  });
}

}  // namespace

void add_bench(CLI::App& app) { add_missing_tool(app, "bench", "load generator"); }

void add_plan(CLI::App& app) { add_missing_tool(app, "plan", "autoscaling and cost planner"); }

}  // namespace dsinfer::cli
