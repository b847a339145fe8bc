// Logging set-up: spdlog to stderr, as plain text (terminal) or one JSON object per line.
#pragma once

#include <string>

#include "base/json_escape.h"  // json_escape for JSON log fields

namespace dsinfer {

enum class LogFormat { kText, kJson };

// Configures the default spdlog logger. Call once from main before any other thread starts.
// `level` is one of trace, debug, info, warn, error, off.
void setup_logging(LogFormat format, const std::string& level);

}  // namespace dsinfer
