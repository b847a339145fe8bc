// The shared submission path of the routes (see exchange_submission.h).
#include "server/exchange_submission.h"

#include <spdlog/spdlog.h>

#include "base/limit_error.h"
#include "base/log.h"
#include "engine/engine.h"
#include "server/answer_error.h"
#include "server/api_error.h"
#include "server/server_context.h"

namespace dsinfer::server {

void submit_exchange(ServerContext& ctx, const std::shared_ptr<Exchange>& ex, bool stream,
                     const std::function<Cancel()>& submit) {
  if (stream) ex->declare_stream();
  Cancel cancel;
  // A refusal is a plain response when no stream byte went out yet (always, for the engine and
  // the translator: they refuse before calling a sink); otherwise an SSE error event.
  try {
    cancel = submit();
  } catch (const engine::OverloadedError& e) {
    ex->retract_stream();
    answer_overloaded(*ex, e);
    return;
  } catch (const LimitError& e) {
    if (ex->retract_stream()) {
      ex->respond_error(413, error_body_for_status(413, e.what()));
    } else {
      answer_error(*ex, e.kind(), e.what());
    }
    return;
  } catch (const FieldError& e) {
    if (ex->retract_stream()) {
      ex->respond_error(400, error_body(e.kind(), e.what(), e.field()));
    } else {
      answer_error(*ex, e.kind(), e.what());
    }
    return;
  } catch (const Error& e) {
    ex->retract_stream();
    answer_error(*ex, e.kind(), e.what());
    return;
  } catch (const std::exception& e) {
    spdlog::error(R"({{"event":"submit_failed","request_id":"{}","error":"{}"}})",
                  json_escape(ex->request_id()), json_escape(e.what()));
    ex->retract_stream();
    answer_error(*ex, ErrorKind::kInternal, "internal error");
    return;
  }
  if (stream) {
    ex->start_stream();
    ctx.streams.add(ex);
  }
  ex->set_on_disconnect(std::move(cancel));
}

}  // namespace dsinfer::server
