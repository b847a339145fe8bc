// State shared by the server's routes: settings, the loaded engine (once ready), translation,
// metrics, lifecycle phase and API keys.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "base/error.h"
#include "engine/engine_loader.h"
#include "metrics/server_metrics.h"
#include "server/http_exchange.h"
#include "server/server_config.h"
#include "server/usage_ledger.h"
#include "tokenizer/chat_template.h"
#include "translate/document_translator.h"
#include "translate/glossary.h"
#include "translate/translation_cache.h"
#include "translate/translator.h"

namespace dsinfer::server {

enum class Phase { kLoading, kWarmingUp, kReady, kDraining, kFailed };
const char* phase_name(Phase phase);

// Streams that may need SSE keep-alive comments while they wait (queued, or a long prefill).
class StreamRegistry {
 public:
  void add(const std::shared_ptr<Exchange>& ex);
  // Sends a comment to every live stream that has sent nothing for `idle` (a stream that is
  // producing events gets none); prunes finished ones.
  void keep_alive(std::chrono::steady_clock::duration idle);

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<Exchange>> entries_;
};

struct ServerContext {
  ServerConfig config;
  std::vector<std::string> api_keys;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<Phase> phase{Phase::kLoading};
  std::atomic<bool> engine_stalled{false};
  std::atomic<bool> loaded_ok{false};  // loaded, chat_template, translator are set
  std::string failure;                 // set before phase becomes kFailed

  // Set once by the loader thread before phase leaves kLoading; read-only afterwards.
  std::unique_ptr<engine::LoadedEngine> loaded;
  std::shared_ptr<const tokenizer::ChatTemplate> chat_template;
  bool opens_think = false;  // the generation prompt opens "<think>" (R1-style reasoning)
  std::string model_name;
  std::unique_ptr<translate::TranslationCache> translation_cache;
  std::unique_ptr<translate::Translator> translator;
  std::unique_ptr<translate::DocumentTranslator> documents;  // over `translator`
  // Loaded from --glossary-dir before the model; never null.
  std::shared_ptr<const translate::GlossaryStore> glossaries;
  UsageLedger usage;  // characters translated per API key

  std::unique_ptr<metrics::ServerMetrics> metrics;
  StreamRegistry streams;
  // Runs request preparation too heavy for the I/O threads that answer probes (segmenting and
  // tokenizing large documents). Joined before the engine stops.
  std::unique_ptr<boost::asio::thread_pool> work_pool;

  // Why the loaded engine has failed for good (Engine::failure: the device is lost), or nullopt.
  std::optional<Error> engine_failure() const {
    if (!loaded_ok.load() || phase.load() == Phase::kFailed) return std::nullopt;
    return loaded->engine->failure();
  }
  // The phase probes and /health report: kFailed once the engine has failed for good, whatever
  // step of its lifecycle the server is in (a lost device never serves again).
  Phase reported_phase() const { return engine_failure() ? Phase::kFailed : phase.load(); }
  bool ready() const { return phase.load() == Phase::kReady && !engine_failure(); }
  // True once the engine exists, has not failed, and the server is not past draining (a stopped
  // engine refuses work itself, with 503).
  bool accepting_work() const {
    return loaded_ok.load() && phase.load() != Phase::kFailed && !engine_failure();
  }
};

// Route handlers (each in its own file).
void handle_health(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_live(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_ready(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_metrics(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_models(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_chat_completions(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_completions(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_translate(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_deepl_translate(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_deepl_languages(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_deepl_usage(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_deepl_glossaries(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_deepl_glossary_pairs(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_libretranslate_translate(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_libretranslate_languages(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_libretranslate_detect(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);
void handle_debug_block_engine(ServerContext& ctx, const std::shared_ptr<Exchange>& ex);

}  // namespace dsinfer::server
