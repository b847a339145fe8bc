// Build identity (version, git commit, build type) of this binary.
#pragma once

#include <string>

namespace dsinfer {

struct BuildInfo {
  std::string version;
  std::string commit;
  std::string build_type;
};

// Immutable after start-up; safe from any thread.
const BuildInfo& build_info();

}  // namespace dsinfer
