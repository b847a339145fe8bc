// Validation of the server settings and API key loading.
#include "server/server_config.h"

#include <fstream>

#include "base/error.h"

namespace dsinfer::server {

void validate_server_config(const ServerConfig& c) {
  auto positive = [](double v, const char* flag) {
    if (!(v > 0)) fail(ErrorKind::kInvalidInput, "{} must be > 0 (got {})", flag, v);
  };
  auto non_negative = [](double v, const char* flag) {
    if (!(v >= 0)) fail(ErrorKind::kInvalidInput, "{} must be >= 0 (got {})", flag, v);
  };
  if (c.model_path.empty()) fail(ErrorKind::kInvalidInput, "--model is required");
  if (c.port < 0 || c.port > 65535) {
    fail(ErrorKind::kInvalidInput, "--port must be in 0..65535 (got {})", c.port);
  }
  if (c.http_threads < 1 || c.http_threads > 64) {
    fail(ErrorKind::kInvalidInput, "--http-threads must be in 1..64 (got {})", c.http_threads);
  }
  if (c.max_body_bytes < 1024) {
    fail(ErrorKind::kInvalidInput, "--max-body-bytes must be >= 1024 (got {})", c.max_body_bytes);
  }
  positive(static_cast<double>(c.max_connections), "--max-connections");
  positive(c.header_timeout_s, "--header-timeout");
  positive(c.body_timeout_s, "--body-timeout");
  positive(c.keepalive_timeout_s, "--keepalive-timeout");
  if (c.max_output_bytes < 4096) {
    fail(ErrorKind::kInvalidInput, "--max-output-bytes must be >= 4096 (got {})",
         c.max_output_bytes);
  }
  positive(c.write_timeout_s, "--write-timeout");
  if (c.socket_send_buffer < 0 || c.socket_send_buffer > (64 << 20)) {
    fail(ErrorKind::kInvalidInput, "--socket-send-buffer must be in 0..64 MiB (got {})",
         c.socket_send_buffer);
  }
  positive(c.request_timeout_s, "--request-timeout");
  non_negative(c.drain_delay_s, "--drain-delay");
  non_negative(c.grace_period_s, "--grace-period");
  positive(c.stall_timeout_s, "--stall-timeout");
  positive(c.sse_keepalive_s, "--sse-keepalive");
  non_negative(c.warmup_requests, "--warmup-requests");
  non_negative(static_cast<double>(c.translation_cache_bytes), "--translation-cache-bytes");
  if (c.max_translation_segments < 1) {
    fail(ErrorKind::kInvalidInput, "--max-translation-segments must be >= 1 (got {})",
         c.max_translation_segments);
  }
  if (c.max_segment_tokens < 8) {
    fail(ErrorKind::kInvalidInput, "--max-segment-tokens must be >= 8 (got {})",
         c.max_segment_tokens);
  }
  engine::validate_engine_config(c.engine);
}

std::vector<std::string> load_api_keys(const ServerConfig& config) {
  std::vector<std::string> keys;
  auto add = [&keys](std::string k) {
    const auto b = k.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return;
    const auto e = k.find_last_not_of(" \t\r\n");
    keys.push_back(k.substr(b, e - b + 1));
  };
  for (const auto& k : config.api_keys) {
    // DSINFER_API_KEY may hold several keys separated by commas.
    size_t start = 0;
    while (start <= k.size()) {
      const auto comma = k.find(',', start);
      add(k.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (!config.api_key_file.empty()) {
    std::ifstream in(config.api_key_file);
    if (!in) fail(ErrorKind::kNotFound, "--api-key-file {}: cannot read", config.api_key_file);
    std::string line;
    while (std::getline(in, line)) add(line);
  }
  return keys;
}

}  // namespace dsinfer::server
