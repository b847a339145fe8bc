// Error → status/body mapping.
#include "server/api_error.h"

#include <nlohmann/json.hpp>

namespace dsinfer::server {

int http_status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return 400;
    case ErrorKind::kBadFile:
      return 500;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kUnsupported:
      return 400;
    case ErrorKind::kOverloaded:
      return 429;
    case ErrorKind::kTimeout:
      return 504;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
    case ErrorKind::kDeviceLost:
      return 503;  // this replica is gone; the request is not bad (another replica serves it)
  }
  return 500;
}

std::string error_body(ErrorKind kind, const std::string& message, const std::string& param) {
  nlohmann::json e = {{"message", message},
                      {"type", error_kind_name(kind)},
                      {"code", http_status_for(kind)},
                      {"param", param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param)}};
  return nlohmann::json{{"error", e}}.dump(-1, ' ', false,
                                           nlohmann::json::error_handler_t::replace);
}

std::string error_body_for_status(int status, const std::string& message) {
  ErrorKind kind = ErrorKind::kInvalidInput;
  if (status == 404) kind = ErrorKind::kNotFound;
  if (status == 429) kind = ErrorKind::kOverloaded;
  if (status == 503) kind = ErrorKind::kUnavailable;
  if (status == 504) kind = ErrorKind::kTimeout;
  if (status >= 500 && status != 503 && status != 504) kind = ErrorKind::kInternal;
  nlohmann::json e = {{"message", message},
                      {"type", status == 401   ? "authentication_error"
                               : status == 413 ? "request_too_large"
                               : status == 405 ? "method_not_allowed"
                                               : error_kind_name(kind)},
                      {"code", status},
                      {"param", nullptr}};
  return nlohmann::json{{"error", e}}.dump(-1, ' ', false,
                                           nlohmann::json::error_handler_t::replace);
}

}  // namespace dsinfer::server
