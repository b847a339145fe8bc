// Test helpers: where the shared golden fixtures are, and the rule for their absence
// (a user's clone: skip loudly; CI=true: fail).
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace dsinfer::test {

// Directory of ../shared/fixtures, or "" when it does not exist.
std::string fixtures_dir();
// True when the environment variable CI is "true" (or "1").
bool in_ci();
// Root of the source tree; a scratch directory of this process (removed when it exits).
std::string source_dir();
std::string temp_dir();

}  // namespace dsinfer::test

// Declares `std::string var` = fixtures directory, or skips (fails under CI) the test.
#define DSINFER_REQUIRE_FIXTURES(var)                                                    \
  const std::string var = ::dsinfer::test::fixtures_dir();                               \
  if (var.empty()) {                                                                     \
    if (::dsinfer::test::in_ci()) {                                                      \
      FAIL() << "golden fixtures (../shared/fixtures) are missing and CI=true";          \
    } else {                                                                             \
      GTEST_SKIP() << "SKIPPED LOUDLY: golden fixtures (../shared/fixtures) not found; " \
                      "this clone cannot check correctness against the reference";       \
    }                                                                                    \
  }
