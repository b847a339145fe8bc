// GET /health, /health/live, /health/ready, /metrics, /v1/models; the test-only engine block.
#include <fstream>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "base/version.h"
#include "kernels/isa.h"
#include "server/api_error.h"
#include "server/json_fields.h"
#include "server/server_context.h"

namespace dsinfer::server {
namespace {

int64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  int64_t pages = 0;
  int64_t resident = 0;
  in >> pages >> resident;
  return resident * 4096;
}

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The loaded model's device, or nullopt before a model is loaded (or after a failed load).
std::optional<model::DeviceStatus> loaded_device(const ServerContext& ctx) {
  if (ctx.phase.load() == Phase::kFailed || !ctx.loaded_ok) return std::nullopt;
  return ctx.loaded->model->device_status();
}

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kLoading:
      return "loading";
    case Phase::kWarmingUp:
      return "warming_up";
    case Phase::kReady:
      return "ready";
    case Phase::kDraining:
      return "draining";
    case Phase::kFailed:
      return "failed";
  }
  return "unknown";
}

void handle_live(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  // NOTE: a failed engine (device lost) never serves again in this process: only a restart
  // helps, and a failing liveness probe is how the kubelet is asked for one.
  if (const auto failure = ctx.engine_failure()) {
    ex->respond(503, dump({{"status", "failed"},
                           {"error_type", error_kind_name(failure->kind())},
                           {"reason", failure->what()}}));
    return;
  }
  if (ctx.engine_stalled.load()) {
    ex->respond(503, dump({{"status", "stalled"},
                           {"reason", fmt::format("an engine step has run longer than "
                                                  "--stall-timeout {} s",
                                                  ctx.config.stall_timeout_s)}}));
    return;
  }
  ex->respond(200, dump({{"status", "alive"}, {"phase", phase_name(ctx.reported_phase())}}));
}

void handle_ready(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const Phase p = ctx.phase.load();
  if (const auto failure = ctx.engine_failure()) {
    ex->respond(503, dump({{"status", "not_ready"},
                           {"phase", phase_name(Phase::kFailed)},
                           {"error_type", error_kind_name(failure->kind())},
                           {"reason", failure->what()}}));
    return;
  }
  if (p == Phase::kReady) {
    ex->respond(200, dump({{"status", "ready"}}));
    return;
  }
  std::string reason = phase_name(p);
  if (p == Phase::kFailed) reason += ": " + ctx.failure;
  ex->respond(503, dump({{"status", "not_ready"}, {"phase", phase_name(p)}, {"reason", reason}}));
}

void handle_health(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const Phase p = ctx.phase.load();
  Json model = {{"name", ctx.model_name}, {"loaded", ctx.loaded_ok.load()}};
  Json engine = nullptr;
  if (p != Phase::kFailed && ctx.loaded_ok) {
    const auto& info = ctx.loaded->model->info();
    model["architecture"] = info.architecture;
    model["weight_type"] = info.weight_type;
    model["parameters"] = info.parameter_count;
    model["context_length"] = ctx.loaded->engine->ctx_size();
    const auto s = ctx.loaded->engine->stats();
    engine = {{"requests_running", s.running},
              {"requests_waiting", s.waiting},
              {"kv_cache",
               {{"blocks_used", s.kv_blocks_used},
                {"blocks_cached", s.kv_blocks_cached},
                {"blocks_total", s.kv_blocks_total},
                {"block_size", s.kv_block_size},
                {"usage_ratio", s.kv_blocks_total > 0 ? static_cast<double>(s.kv_blocks_used) /
                                                            static_cast<double>(s.kv_blocks_total)
                                                      : 0.0}}},
              {"tokens_per_second", s.tokens_per_second},
              {"drain_rate", s.drain_rate}};
  }
  // The host (threads, ISA, RSS) always; the device's name, driver and memory when the model
  // runs on one (--device vulkan[:N]).
  Json device = {{"type", "cpu"},
                 {"selected", ctx.config.engine.device},
                 {"threads", ctx.loaded_ok && ctx.loaded->pool ? ctx.loaded->pool->size() : 0},
                 {"isa", kernels::isa_name(kernels::selected_isa())},
                 {"rss_bytes", rss_bytes()}};
  if (const auto d = loaded_device(ctx); d && d->type != "cpu") {
    device["type"] = d->type;
    device["index"] = d->index;
    device["name"] = d->name;
    device["driver"] = d->driver;
    device["memory_used_bytes"] = d->memory_used_bytes;
    device["memory_total_bytes"] = d->memory_total_bytes;
  }
  const auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started);
  const auto failure = ctx.engine_failure();
  Json body = {
      {"status", failure              ? "failed"
                 : p == Phase::kReady ? "ok"
                                      : phase_name(p)},
      {"phase", phase_name(ctx.reported_phase())},
      {"warmup", p == Phase::kLoading     ? "pending"
                 : p == Phase::kWarmingUp ? "running"
                                          : "done"},
      {"draining", p == Phase::kDraining},
      {"uptime_seconds", uptime.count()},
      {"model", model},
      {"engine", engine},
      {"device", device},
      {"version", build_info().version},
  };
  if (p == Phase::kFailed) body["error"] = ctx.failure;
  if (failure) {
    body["error"] = failure->what();
    body["error_type"] = error_kind_name(failure->kind());
  }
  ex->respond(200, dump(body));
}

void handle_metrics(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  ctx.metrics->set_ready(ctx.ready());
  if (const auto failure = ctx.engine_failure()) {
    ctx.metrics->set_engine_failed(error_kind_name(failure->kind()));
  }
  if (ctx.loaded_ok && ctx.phase.load() != Phase::kFailed) {
    const auto s = ctx.loaded->engine->stats();
    ctx.metrics->set_engine_load(s.running, s.waiting,
                                 s.kv_blocks_total > 0 ? static_cast<double>(s.kv_blocks_used) /
                                                             static_cast<double>(s.kv_blocks_total)
                                                       : 0.0);
    ctx.metrics->set_prefix_cache_totals(s.prefix_cache_hit_tokens, s.prefix_cache_query_tokens);
    using engine::StepTimes;
    ctx.metrics->set_step_totals("prefill", StepTimes::kBounds, s.prefill_steps.counts,
                                 s.prefill_steps.sum_seconds);
    ctx.metrics->set_step_totals("decode", StepTimes::kBounds, s.decode_steps.counts,
                                 s.decode_steps.sum_seconds);
  }
  if (const auto d = loaded_device(ctx); d && d->type != "cpu") {
    ctx.metrics->set_device_memory(fmt::format("{}:{}", d->type, d->index), d->memory_used_bytes,
                                   d->memory_total_bytes);
  }
  ex->respond(200, ctx.metrics->serialize(), "text/plain; version=0.0.4; charset=utf-8");
}

void handle_models(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const auto created = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  Json m = {
      {"id", ctx.model_name}, {"object", "model"}, {"created", created}, {"owned_by", "dsinfer"}};
  ex->respond(200, dump({{"object", "list"}, {"data", Json::array({m})}}));
}

// Test-only: blocks the engine thread for `seconds` from inside an event callback, so tests can
// see /health/live turn 503 through the watchdog.
void handle_debug_block_engine(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const Json body = parse_json_object(ex->request().body().empty() ? "{}" : ex->request().body());
  const double seconds = opt_number(body, "seconds", 0, 600).value_or(5);
  engine::Request r;
  r.prompt_tokens = {ctx.loaded->tokenizer->bos_id() >= 0 ? ctx.loaded->tokenizer->bos_id() : 0};
  r.max_tokens = 4;
  r.ignore_eos = true;
  auto blocked = std::make_shared<std::atomic<bool>>(false);
  ctx.loaded->engine->submit(std::move(r), [seconds, blocked](engine::Event&&) {
    if (!blocked->exchange(true)) {
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    }
  });
  ex->respond(202, dump({{"blocking_seconds", seconds}}));
}

}  // namespace dsinfer::server
