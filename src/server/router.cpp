// Route table, API keys, and the one mapping of a route handler's exception to an HTTP status.
#include "server/router.h"

#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/limit_error.h"
#include "server/api_error.h"
#include "server/api_keys.h"
#include "server/server_context.h"

namespace dsinfer::server {
namespace {

struct Route {
  const char* method;
  const char* path;
  bool needs_engine;
  void (*handler)(ServerContext&, const std::shared_ptr<Exchange>&);
};

constexpr Route kRoutes[] = {
    {"GET", "/health", false, handle_health},
    {"GET", "/health/live", false, handle_live},
    {"GET", "/health/ready", false, handle_ready},
    {"GET", "/metrics", false, handle_metrics},
    {"GET", "/v1/models", false, handle_models},
    {"POST", "/v1/chat/completions", true, handle_chat_completions},
    {"POST", "/v1/completions", true, handle_completions},
    {"POST", "/v1/translate", true, handle_translate},
    {"POST", "/v2/translate", true, handle_deepl_translate},
    {"GET", "/v2/languages", false, handle_deepl_languages},
    {"POST", "/v2/languages", false, handle_deepl_languages},
    {"GET", "/v2/usage", false, handle_deepl_usage},
    {"POST", "/v2/usage", false, handle_deepl_usage},
    {"GET", "/v2/glossaries", false, handle_deepl_glossaries},
    {"POST", "/v2/glossaries", false, handle_deepl_glossaries},
    {"GET", "/v2/glossaries/{id}", false, handle_deepl_glossaries},
    {"DELETE", "/v2/glossaries/{id}", false, handle_deepl_glossaries},
    {"GET", "/v2/glossary-language-pairs", false, handle_deepl_glossary_pairs},
    {"POST", "/translate", true, handle_libretranslate_translate},
    {"GET", "/languages", false, handle_libretranslate_languages},
    {"POST", "/detect", false, handle_libretranslate_detect},
};

// "/v2/glossaries/{id}" matches "/v2/glossaries/acme.en-de" and ".../entries".
bool path_matches(std::string_view pattern, std::string_view path) {
  const size_t brace = pattern.find('{');
  if (brace == std::string_view::npos) return pattern == path;
  return path.size() > brace && path.substr(0, brace) == pattern.substr(0, brace);
}

}  // namespace

void route_request(ServerContext& ctx, const std::shared_ptr<Exchange>& ex,
                   const AdmitHook& on_admit) {
  const auto& req = ex->request();
  std::string_view target(req.target().data(), req.target().size());
  const std::string path(target.substr(0, target.find('?')));
  const std::string method(req.method_string());
  const Route* route = nullptr;
  bool path_known = false;
  for (const auto& r : kRoutes) {
    if (path_matches(r.path, path)) {
      path_known = true;
      if (method == r.method) route = &r;
    }
  }
  if (ctx.config.test_hooks && path == "/debug/block-engine" && method == "POST") {
    static constexpr Route kDebug{"POST", "/debug/block-engine", true, handle_debug_block_engine};
    route = &kDebug;
    path_known = true;
  }
  {
    std::lock_guard lock(ex->stats_mutex());
    ex->stats().route = route ? route->path : (path_known ? path : "unmatched");
  }
  if (!route) {
    ex->respond_error(
        path_known ? 405 : 404,
        error_body_for_status(path_known ? 405 : 404, fmt::format("no route {} {}", method, path)));
    return;
  }
  if (path.rfind("/v1/", 0) == 0 && !ctx.api_keys.empty()) {
    const std::string auth(req[boost::beast::http::field::authorization]);
    const std::string prefix = "Bearer ";
    if (auth.rfind(prefix, 0) != 0 || !key_matches(auth.substr(prefix.size()), ctx.api_keys)) {
      ex->respond_error(401, error_body_for_status(401, "missing or invalid API key"),
                        {{"WWW-Authenticate", "Bearer"}});
      return;
    }
  }
  if (route->needs_engine && !ctx.accepting_work()) {
    if (const auto failure = ctx.engine_failure()) {
      ex->respond_error(503, error_body(failure->kind(), failure->what()), {{"Retry-After", "5"}});
      return;
    }
    ex->respond_error(503,
                      error_body(ErrorKind::kUnavailable,
                                 fmt::format("the model is {}", phase_name(ctx.phase.load()))),
                      {{"Retry-After", "5"}});
    return;
  }
  if (route->needs_engine) {
    {
      std::lock_guard lock(ex->stats_mutex());
      ex->stats().in_flight = true;
    }
    if (on_admit) on_admit(ex, route->path);
  }
  try {
    route->handler(ctx, ex);
  } catch (const LimitError& e) {
    ex->respond_error(413, error_body_for_status(413, e.what()));
  } catch (const FieldError& e) {
    ex->respond_error(400, error_body(ErrorKind::kInvalidInput, e.what(), e.field()));
  } catch (const Error& e) {
    ex->respond_error(http_status_for(e.kind()), error_body(e.kind(), e.what()));
  } catch (const std::exception& e) {
    spdlog::error("route {} failed: {}", path, e.what());
    ex->respond_error(500, error_body(ErrorKind::kInternal, "internal error"));
  }
}

}  // namespace dsinfer::server
