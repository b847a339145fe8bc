// LimitError: an input over a configured size limit (a request's segment count, ...). Its kind
// is kInvalidInput; the HTTP layer answers it with 413 naming the limit.
#pragma once

#include <string>

#include "base/error.h"

namespace dsinfer {

class LimitError : public Error {
 public:
  explicit LimitError(const std::string& message) : Error(ErrorKind::kInvalidInput, message) {}
};

}  // namespace dsinfer
