// `dsinfer serve`: the HTTP front end, the model's life cycle (load, warm-up, ready, drain), the
// engine watchdog and the SIGTERM / SIGINT drain.
#pragma once

#include <memory>

#include "server/server_config.h"

namespace dsinfer::server {

class Server {
 public:
  // Validates the config; throws Error(kInvalidInput) before anything starts.
  explicit Server(ServerConfig config);
  ~Server();

  // Listens at once (liveness answers during loading), loads the model in the background, warms
  // it up, turns ready, and serves until SIGTERM/SIGINT; then drains. Returns the exit code
  // (0 after a clean drain, 1 when the model failed to load).
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dsinfer::server
