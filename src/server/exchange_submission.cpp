// The shared submission path of the routes (see exchange_submission.h).
#include "server/exchange_submission.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "base/limit_error.h"
#include "base/log.h"
#include "engine/engine.h"
#include "server/answer_error.h"
#include "server/api_error.h"
#include "server/server_context.h"

namespace dsinfer::server {
namespace {

// Answers a refusal: a plain response in the route's shape while no stream byte went out
// (always, for the engine and the translator: they refuse before calling a sink); otherwise an
// SSE error event.
void refuse(Exchange& ex, const ErrorBody& shape, int status, ErrorKind kind,
            const std::string& message, const std::string& field = "",
            const Headers& headers = {}) {
  if (!ex.retract_stream()) {
    answer_error(ex, kind, message);
    return;
  }
  std::string body;
  if (shape) {
    body = shape(status, kind, message, field);
  } else if (status == 413) {
    body = error_body_for_status(status, message);
  } else {
    body = error_body(kind, message, field);
  }
  ex.respond_error(static_cast<unsigned>(status), body, headers);
}

}  // namespace

void submit_exchange(ServerContext& ctx, const std::shared_ptr<Exchange>& ex, bool stream,
                     const std::function<Cancel()>& submit, const ErrorBody& error_body) {
  if (stream) ex->declare_stream();
  Cancel cancel;
  try {
    cancel = submit();
  } catch (const engine::OverloadedError& e) {
    const auto retry = std::max<int64_t>(1, (e.retry_after().count() + 999) / 1000);
    refuse(*ex, error_body, 429, ErrorKind::kOverloaded, e.what(), "",
           {{"Retry-After", std::to_string(retry)}});
    return;
  } catch (const LimitError& e) {
    refuse(*ex, error_body, 413, e.kind(), e.what());
    return;
  } catch (const FieldError& e) {
    refuse(*ex, error_body, 400, e.kind(), e.what(), e.field());
    return;
  } catch (const Error& e) {
    refuse(*ex, error_body, http_status_for(e.kind()), e.kind(), e.what());
    return;
  } catch (const std::exception& e) {
    spdlog::error(R"({{"event":"submit_failed","request_id":"{}","error":"{}"}})",
                  json_escape(ex->request_id()), json_escape(e.what()));
    refuse(*ex, error_body, 500, ErrorKind::kInternal, "internal error");
    return;
  }
  if (stream) {
    ex->start_stream();
    ctx.streams.add(ex);
  }
  ex->set_on_disconnect(std::move(cancel));
}

}  // namespace dsinfer::server
