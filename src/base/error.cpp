// Names of error kinds, for logs and JSON error bodies.
#include "base/error.h"

namespace dsinfer {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return "invalid_request_error";
    case ErrorKind::kBadFile:
      return "bad_file";
    case ErrorKind::kNotFound:
      return "not_found_error";
    case ErrorKind::kUnsupported:
      return "unsupported";
    case ErrorKind::kOverloaded:
      return "overloaded_error";
    case ErrorKind::kTimeout:
      return "timeout_error";
    case ErrorKind::kUnavailable:
      return "unavailable_error";
    case ErrorKind::kInternal:
      return "internal_error";
    case ErrorKind::kDeviceLost:
      return "device_lost";
  }
  return "internal_error";
}

}  // namespace dsinfer
