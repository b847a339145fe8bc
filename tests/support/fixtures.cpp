// Locates the golden fixtures and scratch directories for tests.
#include "support/fixtures.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace dsinfer::test {

namespace {
std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != 0) ? v : fallback;
}
}  // namespace

std::string fixtures_dir() {
  const std::string dir = env_or("DSINFER_FIXTURES", DSINFER_FIXTURES_DIR);
  std::error_code ec;
  if (std::filesystem::is_directory(dir + "/golden", ec)) return dir;
  return "";
}

bool in_ci() {
  const std::string ci = env_or("CI", "");
  return ci == "true" || ci == "1";
}

std::string source_dir() { return env_or("DSINFER_SOURCE_DIR", DSINFER_SOURCE_DIR); }

std::string temp_dir() {
  // One directory per process, removed at exit: test binaries run side by side (ctest -j, the
  // sanitizer builds, two checkouts on one host) and must not share or leave scratch files.
  // Never destroyed, so the exit handler can still read it.
  static const std::string* const dir = [] {
    const std::string root = env_or("DSINFER_TEST_TMP", "");
    const std::filesystem::path base =
        root.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(root);
    const auto path = base / ("dsinfer-tests." + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    auto* name = new std::string(path.string());
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(*dir, ec);
    });
    return name;
  }();
  return *dir;
}

}  // namespace dsinfer::test
