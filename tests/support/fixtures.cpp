// Locates the golden fixtures and scratch directories for tests.
#include "support/fixtures.h"

#include <cstdlib>
#include <filesystem>
#include <string>

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
  std::string dir = env_or("DSINFER_TEST_TMP", "");
  if (dir.empty()) dir = std::filesystem::temp_directory_path().string() + "/dsinfer-tests";
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace dsinfer::test
