// Error answers for plain and streamed responses.
#include "server/answer_error.h"

#include <algorithm>

#include "server/api_error.h"

namespace dsinfer::server {

void answer_error(Exchange& ex, ErrorKind kind, const std::string& message,
                  const Headers& headers) {
  if (ex.streaming()) {
    ex.send("data: " + error_body(kind, message) + "\n\n");
    ex.finish_stream();
  } else {
    ex.respond_error(http_status_for(kind), error_body(kind, message), headers);
  }
}

void answer_overloaded(Exchange& ex, const engine::OverloadedError& e) {
  const auto retry = std::max<int64_t>(1, (e.retry_after().count() + 999) / 1000);
  answer_error(ex, ErrorKind::kOverloaded, e.what(), {{"Retry-After", std::to_string(retry)}});
}

}  // namespace dsinfer::server
