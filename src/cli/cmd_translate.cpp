// `dsinfer translate`: translates a text or a file with a local model (the same segmentation,
// parallel segments and reassembly as POST /v1/translate), printing the translation to stdout.
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/config_yaml.h"
#include "cli/engine_flags.h"
#include "engine/engine_loader.h"
#include "tokenizer/chat_template.h"
#include "translate/translator.h"

namespace dsinfer::cli {
namespace {

struct TranslateArgs {
  std::string model;
  std::string to;
  std::string from;
  std::string text;
  std::string file;
  int64_t max_tokens = 0;
  int64_t max_segment_tokens = 200;
  float temperature = 0;
  int threads = 0;
  engine::EngineConfig engine;
};

void run_translate(const TranslateArgs& a) {
  std::string text = a.text;
  if (!a.file.empty()) {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) fail(ErrorKind::kNotFound, "--file {}: cannot read", a.file);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (text.empty()) fail(ErrorKind::kInvalidInput, "nothing to translate: give TEXT or --file");
  auto loaded = engine::load_engine(a.model, a.engine, a.threads);
  auto chat_template = std::make_shared<tokenizer::ChatTemplate>(
      tokenizer::ChatTemplate::from_gguf(*loaded->file, *loaded->tokenizer));
  translate::TranslationCache cache(0);
  translate::Translator translator(*loaded->engine, loaded->tokenizer, chat_template, cache,
                                   a.model, {a.max_segment_tokens, true});
  translate::TranslateOptions opts;
  if (a.max_tokens > 0) opts.max_tokens = a.max_tokens;
  opts.temperature = a.temperature;

  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::string error;
  ErrorKind error_kind = ErrorKind::kInternal;
  translate::TranslationCallbacks cb;
  cb.on_piece = [](size_t, const std::string& piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);  // in order, as segments finish
    std::fflush(stdout);
  };
  cb.on_text = [](size_t, std::string) {};
  cb.on_done = [&](const translate::TranslationUsage&) {
    std::lock_guard lock(mu);
    done = true;
    cv.notify_all();
  };
  cb.on_error = [&](ErrorKind kind, const std::string& message) {
    std::lock_guard lock(mu);
    error = message;
    error_kind = kind;
    done = true;
    cv.notify_all();
  };
  auto job = translator.start({a.from, a.to, {}}, {text}, opts, std::move(cb));
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!error.empty()) throw Error(error_kind, error);
  if (text.back() != '\n') std::fputc('\n', stdout);
}

}  // namespace

void add_translate(CLI::App& app) {
  auto a = std::make_shared<TranslateArgs>();
  auto* cmd = app.add_subcommand("translate", "Translate a text or a file with a local model");
  add_setting(cmd, "model", a->model, "GGUF model file")->required();
  cmd->add_option("--to", a->to, "Target language (ISO 639-1, e.g. en)")->required();
  cmd->add_option("--from", a->from, "Source language (ISO 639-1); absent = the model tells");
  cmd->add_option("text", a->text, "Text to translate");
  cmd->add_option("--file", a->file, "Translate this file (taken byte for byte)");
  cmd->add_option("--max-tokens", a->max_tokens, "Per segment (default 2 x source tokens + 32)");
  cmd->add_option("--max-segment-tokens", a->max_segment_tokens, "Segment budget (tokens)")
      ->capture_default_str();
  cmd->add_option("--temperature", a->temperature, "Sampling temperature")->capture_default_str();
  add_setting(cmd, "threads", a->threads, "Compute threads (0 = CPUs this process may use)")
      ->check(CLI::NonNegativeNumber);
  add_engine_flags(cmd, a->engine);
  cmd->callback([a] { run_translate(*a); });
}

}  // namespace dsinfer::cli
