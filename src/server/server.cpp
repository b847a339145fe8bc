// Server life cycle: listener, loader thread, warm-up, watchdog, SSE keep-alive, drain.
#include "server/server.h"

#include <sys/resource.h>

#include <condition_variable>
#include <filesystem>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "base/log.h"
#include "base/version.h"
#include "kernels/isa.h"
#include "server/api_error.h"
#include "server/http_listener.h"
#include "server/router.h"
#include "server/server_context.h"

namespace dsinfer::server {
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

void raise_nofile_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) spdlog::warn("could not raise RLIMIT_NOFILE");
  }
}

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

void StreamRegistry::add(const std::shared_ptr<Exchange>& ex) {
  std::lock_guard lock(mu_);
  entries_.push_back(ex);
}

void StreamRegistry::keep_alive(Clock::duration idle) {
  std::vector<std::shared_ptr<Exchange>> due;
  {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    std::erase_if(entries_, [](const std::weak_ptr<Exchange>& w) {
      auto p = w.lock();
      return !p || p->completed() || p->disconnected();
    });
    for (const auto& w : entries_) {
      if (auto p = w.lock(); p && now - p->last_output() >= idle) due.push_back(std::move(p));
    }
  }
  for (const auto& p : due) p->send(": keep-alive\n\n");
}

struct Server::Impl {
  ServerContext ctx;
  net::io_context ioc;
  std::shared_ptr<HttpListener> listener;
  std::vector<std::thread> io_threads;
  std::thread loader;
  std::thread watchdog;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::atomic<int64_t> in_flight{0};  // changed under mu
  struct InFlight {
    std::weak_ptr<Exchange> ex;
    std::string route;
  };
  std::unordered_map<const Exchange*, InFlight> in_flight_requests;  // guarded by mu

  // Counts an exchange that reached a route needing the engine (the drain waits for it).
  void admit(const std::shared_ptr<Exchange>& ex, const std::string& route) {
    std::lock_guard lock(mu);
    in_flight_requests[ex.get()] = {ex, route};
    ++in_flight;
  }

  // Runs on the connection's strand once the response is fully queued: log line + metrics.
  void observe(const Exchange& ex) {
    ExchangeStats s;
    {
      std::lock_guard lock(const_cast<Exchange&>(ex).stats_mutex());
      s = const_cast<Exchange&>(ex).stats();
    }
    const double latency = since(ex.arrived());
    const int status = static_cast<int>(ex.status());
    if (s.route != "invalid" && s.route != "unmatched") {
      ctx.metrics->count_request(s.route, status);
    }
    if (s.in_flight) {
      // Under mu: the drain's wait_for checks in_flight under mu, so no wake-up is lost.
      std::lock_guard lock(mu);
      in_flight_requests.erase(&ex);
      --in_flight;
      cv.notify_all();
    }
    if (s.admitted && status < 400) {
      ctx.metrics->observe_request(latency, s.ttft_s, s.tpot_s, s.queue_s);
      ctx.metrics->add_tokens(s.prompt_tokens, s.completion_tokens);
    }
    if (s.cached_segments > 0) ctx.metrics->add_translation_cache_hits(s.cached_segments);
    if (ctx.config.log_requests && s.route.rfind("/health", 0) != 0 && s.route != "/metrics") {
      spdlog::info(
          R"({{"event":"request","request_id":"{}","route":"{}","status":{},"prompt_tokens":{},"completion_tokens":{},"cached_tokens":{},"queue_s":{:.4f},"ttft_s":{:.4f},"tpot_s":{:.4f},"latency_s":{:.4f}}})",
          json_escape(ex.request_id()), json_escape(s.route), status, s.prompt_tokens,
          s.completion_tokens, s.cached_tokens, s.queue_s, s.ttft_s, s.tpot_s, latency);
    }
  }

  void load() {
    const auto t_map = Clock::now();
    try {
      if (ctx.config.test_startup_delay_s > 0) {
        std::unique_lock lock(mu);
        cv.wait_for(lock, std::chrono::duration<double>(ctx.config.test_startup_delay_s),
                    [this] { return stopping; });
      }
      if (ctx.phase.load() != Phase::kLoading) return;  // SIGTERM while loading
      {
        // Map and pre-read the weights (page cache), so the first requests do not fault them in.
        auto file = gguf::GgufFile::open(ctx.config.model_path);
        file->advise_willneed();
      }
      ctx.metrics->set_startup_phase("map", since(t_map));
      const auto t_load = Clock::now();
      ctx.loaded =
          engine::load_engine(ctx.config.model_path, ctx.config.engine, ctx.config.threads);
      ctx.metrics->set_kv_block_size(ctx.loaded->engine->stats().kv_block_size);
      ctx.chat_template = std::make_shared<tokenizer::ChatTemplate>(
          tokenizer::ChatTemplate::from_gguf(*ctx.loaded->file, *ctx.loaded->tokenizer));
      const std::string probe = ctx.chat_template->render({{"user", "x"}}, true);
      ctx.opens_think = probe.size() >= 8 && probe.substr(probe.size() - 8) == "<think>\n";
      ctx.translation_cache = std::make_unique<translate::TranslationCache>(
          static_cast<size_t>(ctx.config.translation_cache_bytes));
      ctx.translator = std::make_unique<translate::Translator>(
          *ctx.loaded->engine, ctx.loaded->tokenizer, ctx.chat_template, *ctx.translation_cache,
          ctx.model_name,
          translate::TranslatorConfig{ctx.config.max_segment_tokens, true,
                                      ctx.config.max_translation_segments,
                                      ctx.config.engine.max_running});
      ctx.documents =
          std::make_unique<translate::DocumentTranslator>(*ctx.translator, ctx.glossaries);
      ctx.metrics->set_startup_phase("load", since(t_load));
      spdlog::info(R"({{"event":"model_loaded","model":"{}","seconds":{:.2f}}})",
                   json_escape(ctx.model_name), since(t_map));
      ctx.loaded_ok = true;
      // Only from kLoading: a SIGTERM that came meanwhile (kDraining) keeps the server unready.
      Phase loading = Phase::kLoading;
      if (!ctx.phase.compare_exchange_strong(loading, Phase::kWarmingUp)) return;
      const auto t_warm = Clock::now();
      warm_up();
      ctx.metrics->set_startup_phase("warmup", since(t_warm));
      Phase expected = Phase::kWarmingUp;
      if (ctx.phase.compare_exchange_strong(expected, Phase::kReady)) {
        ctx.metrics->set_ready(true);
        spdlog::info(R"({{"event":"ready","startup_seconds":{:.2f}}})", since(t_map));
      }
    } catch (const std::exception& e) {
      ctx.failure = e.what();
      if (ctx.phase.load() == Phase::kDraining) {
        // Stopping anyway (e.g. the engine refused warm-up work while shutting down).
        spdlog::warn(R"({{"event":"load_abandoned","error":"{}"}})", json_escape(e.what()));
        return;
      }
      ctx.phase = Phase::kFailed;
      spdlog::error(R"({{"event":"load_failed","error":"{}"}})", json_escape(e.what()));
      std::lock_guard lock(mu);
      stopping = true;
      cv.notify_all();
    }
  }

  // Synthetic requests that exercise prefill and batched decode before the pod turns ready.
  void warm_up() {
    const int n = ctx.config.warmup_requests;
    if (n <= 0) return;
    auto remaining = std::make_shared<std::atomic<int>>(n);
    std::mutex wmu;
    std::condition_variable wcv;
    const auto& tok = *ctx.loaded->tokenizer;
    for (int i = 0; i < n; ++i) {
      engine::Request r;
      const std::string text = fmt::format(
          "Warm-up request {}: translate this sentence into English. 预热请求，请翻译这句话。", i);
      for (int32_t id : tok.encode(text, tok.add_bos_default(), false))
        r.prompt_tokens.push_back(id);
      r.max_tokens = 8;
      r.ignore_eos = true;
      r.joins_admitted_work = true;  // internal: never refused by a small --max-waiting
      ctx.loaded->engine->submit(std::move(r), [&, remaining](engine::Event&& ev) {
        if (ev.is_last() && remaining->fetch_sub(1) == 1) {
          std::lock_guard lock(wmu);
          wcv.notify_all();
        }
      });
    }
    std::unique_lock lock(wmu);
    wcv.wait(lock, [&] { return remaining->load() == 0; });
  }

  // Liveness: the engine is stalled when it has work but its step counter has not moved for
  // --stall-timeout. Also sends SSE keep-alive comments.
  void watch() {
    int64_t last_steps = -1;
    auto last_progress = Clock::now();
    std::unique_lock lock(mu);
    while (!stopping) {
      cv.wait_for(lock, std::chrono::milliseconds(250));
      if (stopping) break;
      lock.unlock();
      ctx.streams.keep_alive(std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(ctx.config.sse_keepalive_s)));
      if (ctx.accepting_work() && ctx.loaded) {
        const auto s = ctx.loaded->engine->stats();
        const bool busy = s.running + s.waiting > 0;
        if (!busy || s.steps != last_steps) {
          last_steps = s.steps;
          last_progress = Clock::now();
          ctx.engine_stalled = false;
        } else if (since(last_progress) > ctx.config.stall_timeout_s) {
          if (!ctx.engine_stalled.exchange(true)) {
            spdlog::error(R"({{"event":"engine_stalled","seconds":{:.1f}}})", since(last_progress));
          }
        }
      }
      lock.lock();
    }
  }
};

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>()) {
  validate_server_config(config);
  impl_->ctx.api_keys = load_api_keys(config);
  impl_->ctx.glossaries = config.glossary_dir.empty()
                              ? std::make_shared<const translate::GlossaryStore>()
                              : std::make_shared<const translate::GlossaryStore>(
                                    translate::GlossaryStore::load(config.glossary_dir));
  if (config.model_name.empty()) {
    config.model_name = std::filesystem::path(config.model_path).stem().string();
  }
  impl_->ctx.model_name = config.model_name;
  impl_->ctx.config = std::move(config);
  const auto& b = build_info();
  impl_->ctx.metrics = std::make_unique<metrics::ServerMetrics>(
      metrics::BuildLabels{b.version, b.commit, kernels::isa_name(kernels::selected_isa())});
}

Server::~Server() = default;

int Server::run() {
  auto& im = *impl_;
  auto& cfg = im.ctx.config;
  raise_nofile_limit();
  HttpLimits limits{cfg.max_body_bytes,      cfg.header_timeout_s, cfg.body_timeout_s,
                    cfg.keepalive_timeout_s, cfg.max_output_bytes, cfg.write_timeout_s,
                    cfg.socket_send_buffer};
  std::atomic<bool> closing{false};
  im.listener = std::make_shared<HttpListener>(
      im.ioc, cfg.host, cfg.port, limits, cfg.max_connections,
      [&im](std::shared_ptr<Exchange> ex) {
        route_request(im.ctx, ex,
                      [&im](const std::shared_ptr<Exchange>& e, const std::string& route) {
                        im.admit(e, route);
                      });
      },
      [&im](const Exchange& ex) { im.observe(ex); }, [&closing] { return closing.load(); });
  im.listener->start();
  spdlog::info(R"({{"event":"listening","host":"{}","port":{}}})", cfg.host, im.listener->port());

  net::signal_set signals(im.ioc, SIGINT, SIGTERM);
  std::atomic<bool> signalled{false};
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info(R"({{"event":"drain_start","signal":{}}})", sig);
    signalled = true;
    std::lock_guard lock(im.mu);
    im.stopping = true;
    im.cv.notify_all();
  });
  im.ctx.work_pool = std::make_unique<net::thread_pool>(1);
  for (int i = 0; i < cfg.http_threads; ++i) {
    im.io_threads.emplace_back([&im] { im.ioc.run(); });
  }
  im.loader = std::thread([&im] { im.load(); });
  im.watchdog = std::thread([&im] { im.watch(); });

  {
    std::unique_lock lock(im.mu);
    im.cv.wait(lock, [&] { return im.stopping; });
  }
  int code = 0;
  if (signalled) {
    // Drain: not ready at once; keep accepting for --drain-delay so load balancers drop us first;
    // then stop accepting (idle connections close) and let in-flight requests finish within
    // --grace-period.
    im.ctx.phase = Phase::kDraining;
    im.ctx.metrics->set_ready(false);
    std::this_thread::sleep_for(std::chrono::duration<double>(cfg.drain_delay_s));
    closing = true;
    im.listener->close();
    std::unique_lock lock(im.mu);
    spdlog::info(R"({{"event":"listener_closed","in_flight":{}}})", im.in_flight.load());
    const bool drained = im.cv.wait_for(lock, std::chrono::duration<double>(cfg.grace_period_s),
                                        [&] { return im.in_flight.load() <= 0; });
    spdlog::info(R"({{"event":"drain_done","clean":{},"in_flight":{}}})", drained,
                 im.in_flight.load());
    if (!drained) {
      code = 3;  // an unclean drain: requests were cut
      for (const auto& [ptr, f] : im.in_flight_requests) {
        auto ex = f.ex.lock();
        spdlog::error(R"({{"event":"request_cut","request_id":"{}","route":"{}"}})",
                      ex ? json_escape(ex->request_id()) : "?", f.route);
      }
    }
  } else {
    code = 1;  // the model failed to load
    im.listener->close();
  }
  {
    std::lock_guard lock(im.mu);
    im.stopping = true;
    im.cv.notify_all();
  }
  if (im.loader.joinable()) im.loader.join();
  if (im.watchdog.joinable()) im.watchdog.join();
  signals.cancel();
  // NOTE: lifetimes. The engine stops while the I/O threads still run: requests it cuts end with
  // an error event that is still written to their clients. Translator, caches and the engine
  // object (ctx) outlive the io_context (a member declared after ctx), so a sink or a canceller
  // never runs against a destroyed object.
  im.ctx.work_pool->join();  // requests being prepared reach the engine (or its refusal)
  if (im.ctx.loaded_ok) im.ctx.loaded->engine->stop();
  {
    std::unique_lock lock(im.mu);
    im.cv.wait_for(lock, std::chrono::seconds(5), [&] { return im.in_flight.load() <= 0; });
  }
  for (int i = 0; i < 250 && im.listener->connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let error answers flush
  }
  im.ioc.stop();
  for (auto& t : im.io_threads) t.join();
  spdlog::info(R"({{"event":"exit","code":{}}})", code);
  return code;
}

}  // namespace dsinfer::server
