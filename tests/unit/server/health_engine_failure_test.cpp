// The probes of a server whose engine has failed for good (device lost), through the real route
// table on a loopback socket: /health/live and /health/ready turn 503 naming the reason, /health
// says why, /metrics exports inference_engine_failed, work routes are refused with a 503 JSON
// error. A failed request of any other kind leaves both probes at 200.
#include <atomic>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "metrics/server_metrics.h"
#include "server/router.h"
#include "server/server_context.h"
#include "test_server.h"
#include "unit/engine/engine_test_support.h"
#include "unit/engine/fake_model.h"

namespace dsinfer::server {
namespace {

constexpr int64_t kVocab = 50;
constexpr const char* kLostText = "Vulkan: vkWaitForFences failed: VK_ERROR_DEVICE_LOST";

struct Reply {
  int status = 0;
  std::string body;
};

Reply call(test::TestServer& srv, const std::string& method, const std::string& path,
           const std::string& body = "") {
  const std::string raw =
      srv.exchange_bytes(method + " " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" +
                         (body.empty() ? "" : "Content-Type: application/json\r\n") +
                         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  Reply r;
  if (raw.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(raw.substr(9, 3));
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end != std::string::npos) r.body = raw.substr(head_end + 4);
  return r;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(HealthEngineFailure, DeviceLostTurnsLiveAndReady503WithTheReason) {
  std::atomic<bool> lost{false};  // before ctx: the engine's model reads them until it stops
  std::atomic<int> transient{0};
  ServerContext ctx;
  ctx.metrics = std::make_unique<metrics::ServerMetrics>(metrics::BuildLabels{"t", "t", "t"});
  ctx.model_name = "fake";
  auto model = std::make_unique<engine::test::FakeModel>(kVocab, 8, 64, 512);
  model->on_forward = [&](const model::Batch&) {
    if (lost.load()) fail(ErrorKind::kDeviceLost, "{}", kLostText);
    if (transient.fetch_sub(1) > 0) fail(ErrorKind::kInternal, "one bad step");
  };
  ctx.loaded = std::make_unique<engine::LoadedEngine>();
  engine::EngineConfig config;
  ctx.loaded->engine = std::make_unique<engine::Engine>(*model, nullptr, config, 256);
  ctx.loaded->model = std::move(model);
  ctx.loaded_ok = true;
  ctx.phase = Phase::kReady;
  engine::Engine& engine = *ctx.loaded->engine;
  test::TestServer srv([&ctx](std::shared_ptr<Exchange> ex) { route_request(ctx, ex, nullptr); });

  // A transient failure: that request fails, the replica stays live and ready.
  transient = 1;
  const auto bad = engine::test::run_one(
      engine, engine::test::greedy_request(engine::test::make_prompt(20, 1, kVocab), 5));
  EXPECT_EQ(bad.last.type, engine::EventType::kError);
  EXPECT_EQ(bad.last.error_kind, ErrorKind::kInternal);
  EXPECT_EQ(call(srv, "GET", "/health/live").status, 200);
  EXPECT_EQ(call(srv, "GET", "/health/ready").status, 200);
  EXPECT_TRUE(has(call(srv, "GET", "/health").body, R"("status":"ok")"));

  // The device is lost: the request in flight gets the reason, then every probe says so.
  lost = true;
  const auto cut = engine::test::run_one(
      engine, engine::test::greedy_request(engine::test::make_prompt(20, 2, kVocab), 5));
  EXPECT_EQ(cut.last.type, engine::EventType::kError);
  EXPECT_EQ(cut.last.error_kind, ErrorKind::kDeviceLost);

  const Reply live = call(srv, "GET", "/health/live");
  EXPECT_EQ(live.status, 503);
  EXPECT_TRUE(has(live.body, R"("status":"failed")")) << live.body;
  EXPECT_TRUE(has(live.body, R"("error_type":"device_lost")")) << live.body;
  EXPECT_TRUE(has(live.body, kLostText)) << live.body;
  const Reply ready = call(srv, "GET", "/health/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_TRUE(has(ready.body, R"("status":"not_ready")")) << ready.body;
  EXPECT_TRUE(has(ready.body, R"("phase":"failed")")) << ready.body;
  EXPECT_TRUE(has(ready.body, kLostText)) << ready.body;
  const Reply health = call(srv, "GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(has(health.body, R"("status":"failed")")) << health.body;
  EXPECT_TRUE(has(health.body, R"("phase":"failed")")) << health.body;
  EXPECT_TRUE(has(health.body, kLostText)) << health.body;
  const Reply metrics = call(srv, "GET", "/metrics");
  EXPECT_TRUE(has(metrics.body, R"(inference_engine_failed{reason="device_lost"} 1)"))
      << metrics.body;
  EXPECT_TRUE(has(metrics.body, "inference_ready 0")) << metrics.body;

  // Work is refused before its handler runs, with a JSON error naming the reason.
  const Reply work = call(srv, "POST", "/v1/completions", R"({"prompt":"hi","max_tokens":2})");
  EXPECT_EQ(work.status, 503);
  EXPECT_TRUE(has(work.body, R"("type":"device_lost")")) << work.body;
  EXPECT_TRUE(has(work.body, kLostText)) << work.body;
}

}  // namespace
}  // namespace dsinfer::server
