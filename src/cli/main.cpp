// dsinfer entry point: builds the CLI, runs one subcommand, maps errors to exit codes.
#include <cstdio>
#include <exception>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "base/error.h"
#include "base/log.h"
#include "base/version.h"
#include "cli/commands.h"
#include "cli/config_yaml.h"
#include "kernels/isa.h"
#include "vulkan/device_list.h"

namespace {

std::string version_text() {
  const auto& b = dsinfer::build_info();
  return fmt::format("dsinfer {} (commit {}, {} build)\nISAs: {} (selected: {})\n{}", b.version,
                     b.commit, b.build_type, dsinfer::kernels::available_isas_text(),
                     dsinfer::kernels::selected_isa_text(), dsinfer::vulkan::vulkan_devices_text());
}

int exit_code_for(dsinfer::ErrorKind kind) {
  switch (kind) {
    case dsinfer::ErrorKind::kInvalidInput:
    case dsinfer::ErrorKind::kUnsupported:
      return 2;
    default:
      return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dsinfer: inference server for DeepSeek-family models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_text);
  std::string log_level = "info";
  bool log_json = false;
  dsinfer::cli::add_setting(&app, "log-level", log_level, "trace|debug|info|warn|error|off");
  dsinfer::cli::add_setting(&app, "log-json", log_json, "Logs as JSON lines");
  app.parse_complete_callback([&] {
    dsinfer::setup_logging(log_json ? dsinfer::LogFormat::kJson : dsinfer::LogFormat::kText,
                           log_level);
  });

  namespace cli = dsinfer::cli;
  cli::add_inspect(app);
  cli::add_make_model(app);
  cli::add_tokenize(app);
  cli::add_chat_template(app);
  cli::add_logits(app);
  cli::add_generate(app);
  cli::add_bench_model(app);
  cli::add_translate(app);
  cli::add_serve(app);
  cli::add_bench(app);
  cli::add_plan(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const dsinfer::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return exit_code_for(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
