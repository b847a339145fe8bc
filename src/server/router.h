// The route table and what every request goes through before its handler: 404/405, API keys on
// /v1/*, 503 while no engine serves, the in-flight count, and the one mapping of a handler's
// exception to an HTTP status.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "server/http_exchange.h"

namespace dsinfer::server {

struct ServerContext;

// Called for each exchange admitted to a route that needs the engine, before its handler runs;
// its ExchangeStats::in_flight is already set (the observer uncounts it at completion).
using AdmitHook = std::function<void(const std::shared_ptr<Exchange>&, const std::string& route)>;

// Answers `ex` (now or later, from its handler's work). Never throws. Call on the strand.
void route_request(ServerContext& ctx, const std::shared_ptr<Exchange>& ex,
                   const AdmitHook& on_admit);

}  // namespace dsinfer::server
