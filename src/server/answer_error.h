// Ends an exchange with an error in the shape its response already has: a JSON error body with
// the mapped status, or — once a stream has started — a `data: {"error": ...}` event and the
// end of the stream.
#pragma once

#include <string>

#include "base/error.h"
#include "engine/engine.h"
#include "server/http_exchange.h"

namespace dsinfer::server {

void answer_error(Exchange& ex, ErrorKind kind, const std::string& message,
                  const Headers& headers = {});

// 429 for a refused admission, with Retry-After (whole seconds, at least 1).
void answer_overloaded(Exchange& ex, const engine::OverloadedError& e);

}  // namespace dsinfer::server
