// Settings of `dsinfer serve` (one plain struct; the CLI binds every field to --flag,
// DSINFER_<FLAG> and the YAML config file).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine_config.h"

namespace dsinfer::server {

struct ServerConfig {
  std::string model_path;                   // --model
  std::string model_name;                   // --model-name (default: file stem)
  std::string host = "0.0.0.0";             // --host
  int port = 8080;                          // --port
  int threads = 0;                          // --threads: compute threads (0 = usable CPUs)
  int http_threads = 1;                     // --http-threads
  int64_t max_body_bytes = 1 << 20;         // --max-body-bytes (413 above)
  int64_t max_connections = 4096;           // --max-connections
  double header_timeout_s = 10;             // --header-timeout: whole request head must arrive
  double body_timeout_s = 30;               // --body-timeout
  double keepalive_timeout_s = 120;         // --keepalive-timeout: idle connection closed after
  int64_t max_output_bytes = 4 << 20;       // --max-output-bytes: queued for a slow reader → cut
  double write_timeout_s = 30;              // --write-timeout: one write pending longer → cut
  int64_t socket_send_buffer = 0;           // --socket-send-buffer: SO_SNDBUF (0 = autotuning)
  double request_timeout_s = 600;           // --request-timeout: engine deadline (504 after)
  double drain_delay_s = 5;                 // --drain-delay: keep accepting after SIGTERM
  double grace_period_s = 30;               // --grace-period: in-flight requests finish within
  double stall_timeout_s = 60;              // --stall-timeout: engine step longer → live 503
  int warmup_requests = 4;                  // --warmup-requests (0 = no warm-up)
  double sse_keepalive_s = 5;               // --sse-keepalive: comment interval while waiting
  int64_t max_segment_tokens = 200;         // --max-segment-tokens: translation segment budget
  int64_t max_translation_segments = 4096;  // --max-translation-segments: per request (413)
  int64_t translation_cache_bytes = 64 << 20;  // --translation-cache-bytes (0 = off)
  std::vector<std::string> api_keys;           // --api-key (repeatable) / DSINFER_API_KEY
  std::string api_key_file;                    // --api-key-file: one key per line
  std::string glossary_dir;                    // --glossary-dir: <name>.<src>-<tgt>.tsv|csv files
  bool log_requests = true;                    // --log-requests
  double test_startup_delay_s = 0;             // --test-startup-delay (tests only)
  bool test_hooks = false;                     // --test-hooks: /debug routes (tests only)

  // --special-tokens-in-prompts: control-token text in chat messages and completion prompts
  // becomes control tokens (trusted callers only; see docs/api.md, "User text is text").
  bool special_tokens_in_prompts = false;

  engine::EngineConfig engine;
};

// Checks ranges; throws Error(kInvalidInput) naming the flag.
void validate_server_config(const ServerConfig& config);

// Every key from --api-key and --api-key-file (trimmed, empty lines ignored). Throws Error when
// the key file cannot be read.
std::vector<std::string> load_api_keys(const ServerConfig& config);

}  // namespace dsinfer::server
