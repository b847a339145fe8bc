// `dsinfer serve`: binds every server setting to a flag, DSINFER_<FLAG> and the YAML config file
// (precedence: default < file < env < flag), then runs the server.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/config_yaml.h"
#include "cli/engine_flags.h"
#include "server/server.h"

namespace dsinfer::cli {

void add_serve(CLI::App& app) {
  auto cfg = std::make_shared<server::ServerConfig>();
  auto print = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("serve", "Serve the translation and OpenAI-compatible HTTP API");
  cmd->config_formatter(std::make_shared<YamlConfig>());
  cmd->set_config("--config", "", "YAML file of settings (flag names as keys)");
  auto& c = *cfg;
  auto& e = c.engine;
  add_setting(cmd, "model", c.model_path, "GGUF model file")->required();
  add_setting(cmd, "model-name", c.model_name, "Model name in the API (default: file stem)");
  add_setting(cmd, "host", c.host, "Listen address");
  add_setting(cmd, "port", c.port, "Listen port (0 = any free port)");
  add_setting(cmd, "threads", c.threads, "Compute threads (0 = CPUs this process may use)");
  add_setting(cmd, "http-threads", c.http_threads, "HTTP I/O threads");
  add_setting(cmd, "max-body-bytes", c.max_body_bytes, "Largest request body (413 above)");
  add_setting(cmd, "max-connections", c.max_connections, "Open connections before 503");
  add_setting(cmd, "header-timeout", c.header_timeout_s, "Seconds for a request head to arrive");
  add_setting(cmd, "body-timeout", c.body_timeout_s, "Seconds for a request body to arrive");
  add_setting(cmd, "keepalive-timeout", c.keepalive_timeout_s, "Idle keep-alive seconds");
  add_setting(cmd, "max-output-bytes", c.max_output_bytes,
              "Response bytes queued for a slow reader before it is disconnected");
  add_setting(cmd, "write-timeout", c.write_timeout_s,
              "Seconds one write may stay pending before the reader is disconnected");
  add_setting(cmd, "socket-send-buffer", c.socket_send_buffer,
              "SO_SNDBUF of client sockets in bytes (0 = kernel autotuning)");
  add_setting(cmd, "request-timeout", c.request_timeout_s, "Seconds before a request ends (504)");
  add_setting(cmd, "drain-delay", c.drain_delay_s, "Seconds to keep accepting after SIGTERM");
  add_setting(cmd, "grace-period", c.grace_period_s, "Seconds for in-flight requests to finish");
  add_setting(cmd, "stall-timeout", c.stall_timeout_s, "Engine step seconds before live is 503");
  add_setting(cmd, "warmup-requests", c.warmup_requests, "Synthetic requests before ready");
  add_setting(cmd, "sse-keepalive", c.sse_keepalive_s, "Seconds between SSE keep-alive comments");
  add_setting(cmd, "max-segment-tokens", c.max_segment_tokens, "Translation segment budget");
  add_setting(cmd, "max-translation-segments", c.max_translation_segments,
              "Segments of one translation request (413 above)");
  add_setting(cmd, "translation-cache-bytes", c.translation_cache_bytes,
              "Translation cache size in bytes (0 = off)");
  add_setting(cmd, "special-tokens-in-prompts", c.special_tokens_in_prompts,
              "Trusted callers only: control-token text in chat messages and completion prompts "
              "becomes control tokens");
  add_setting(cmd, "api-key", c.api_keys, "API key required on /v1/* (repeatable)")->delimiter(',');
  add_setting(cmd, "api-key-file", c.api_key_file, "File with one API key per line");
  add_setting(cmd, "glossary-dir", c.glossary_dir,
              "Directory of glossary files <name>.<source>-<target>.tsv|csv (read at start)");
  add_setting(cmd, "log-requests", c.log_requests, "One JSON log line per request");
  add_engine_flags(cmd, e);
  add_setting(cmd, "test-startup-delay", c.test_startup_delay_s, "Tests only: delay loading")
      ->group("");
  add_setting(cmd, "test-hooks", c.test_hooks, "Tests only: enable /debug routes")->group("");
  cmd->add_flag("--print-config", *print, "Print the effective settings (secrets redacted)");
  cmd->callback([cmd, cfg, print] {
    if (*print) {
      std::fputs(effective_config_yaml(*cmd).c_str(), stdout);
      return;
    }
    server::Server srv(*cfg);
    const int code = srv.run();
    if (code != 0) std::exit(code);
  });
}

}  // namespace dsinfer::cli
