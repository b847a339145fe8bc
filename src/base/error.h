// Error types: every failure a user can cause is an Error carrying its context (file, offset,
// tensor, field). Boundaries (CLI, HTTP) turn them into messages and exit codes / status codes.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace dsinfer {

// What went wrong, for the boundary's mapping (HTTP status, exit code).
enum class ErrorKind {
  kInvalidInput,  // a request, a flag or a config value is wrong (HTTP 400)
  kBadFile,       // a model or data file is malformed
  kNotFound,      // a file, model or route does not exist (HTTP 404)
  kUnsupported,   // valid but not supported by this build (HTTP 400 / exit 2)
  kOverloaded,    // admission refused; retry later (HTTP 429)
  kTimeout,       // deadline passed (HTTP 504)
  kUnavailable,   // not ready / draining (HTTP 503)
  kInternal,      // a bug or a system failure (HTTP 500)
  kDeviceLost,    // the compute device is gone (VK_ERROR_DEVICE_LOST): nothing can run on it
                  // again in this process; the engine fails for good (HTTP 503, restart)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Convenience: throw Error(kind, fmt::format(...)).
template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

const char* error_kind_name(ErrorKind kind);

}  // namespace dsinfer
