// submit_exchange(): the one path from a route to engine work (engine requests, translation
// jobs) for every route. Routes parse and validate; this helper owns the rest of an exchange's
// life: submit → refused (429 / 4xx as real statuses) → client gone (cancel, 499) → done.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "server/http_exchange.h"

namespace dsinfer::server {

struct ServerContext;

// Cancels one piece of submitted work. Must not block and must not call back into the exchange.
// It may run after the work finished, and until the io_context stops: what it refers to (the
// engine, the translator) must outlive the io_context's handlers (Server guarantees it).
using Cancel = std::function<void()>;

// The JSON error body of a route's API for a refusal answered before any response byte:
// `status`, the error's kind, its message and the request field it names ("" = none). Empty:
// dsinfer's OpenAI shape ({"error": {"message", "type", "code", "param"}}).
using ErrorBody = std::function<std::string(int status, ErrorKind kind, const std::string& message,
                                            const std::string& field)>;

// Contract, for every route that submits work:
//  1. `submit` starts the work (engine::Engine::submit, translate::Translator::start) and returns
//     its canceller. It runs before any byte of the response is sent, so what it throws is an
//     HTTP status: engine::OverloadedError → 429 with Retry-After; Error → http_status_for(kind)
//     (400 for a prompt over the context or bad UTF-8); FieldError → 400 naming the field;
//     anything else → 500. Nothing is submitted when it throws (it must undo partial work).
//     The body has `error_body`'s shape (DeepL's {"message"}, LibreTranslate's {"error"}, …).
//  2. `stream`: the exchange is declared a stream before `submit`, so the work's sink may send
//     SSE events at once (even from inside `submit`); the 200 headers go out with the first
//     event or right after `submit` returns — never before the work was admitted.
//  3. The work's sink answers the exchange (respond / send + finish_stream / answer_error); the
//     first completion wins and later answers are ignored.
//  4. Client gone before completion: the canceller runs once (on the strand), the exchange
//     completes as 499 (logs, metrics, drain count) and the sink's later answers go nowhere.
//     Completion drops the canceller, so whatever it captures never outlives the response.
//  5. A stream is registered for SSE keep-alive comments (sent only while it is idle).
// Call from any thread (a route handler on the strand, or a worker preparing a large request).
void submit_exchange(ServerContext& ctx, const std::shared_ptr<Exchange>& ex, bool stream,
                     const std::function<Cancel()>& submit, const ErrorBody& error_body = {});

}  // namespace dsinfer::server
