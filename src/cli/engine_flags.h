// Binds every EngineConfig field to a --flag and its DSINFER_<FLAG> env var (shared by the
// subcommands that run an engine: generate, serve, bench).
#pragma once

#include <CLI/CLI.hpp>

#include "engine/engine_config.h"

namespace dsinfer::cli {

// Adds --ctx-size, --kv-cache-mem, --kv-block-size, --max-batched-tokens, --max-running,
// --max-waiting, --prefix-cache / --no-prefix-cache and --device to `cmd` (each through
// add_setting), writing into `config` (which must outlive parsing).
void add_engine_flags(CLI::App* cmd, engine::EngineConfig& config);

// Adds --device (env DSINFER_DEVICE): the one declaration, also used by bench-model.
void add_device_flag(CLI::App* cmd, std::string& device);

}  // namespace dsinfer::cli
