// The one table from errors to HTTP status codes and OpenAI-style JSON error bodies:
// {"error": {"message", "type", "code", "param"}}.
#pragma once

#include <string>

#include "base/error.h"

namespace dsinfer::server {

int http_status_for(ErrorKind kind);

// JSON text of an error body. `param` names the offending field ("" = none).
std::string error_body(ErrorKind kind, const std::string& message, const std::string& param = "");
std::string error_body_for_status(int status, const std::string& message);

// A request error with the field it concerns (400 naming the field).
class FieldError : public Error {
 public:
  FieldError(std::string field, const std::string& message)
      : Error(ErrorKind::kInvalidInput, message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

}  // namespace dsinfer::server
