// A Translator over a real Engine on the toy model (tests/unit/engine/fake_model.h) with a
// byte-level tokenizer (token id = byte) and a real chat template, and helpers to watch a job:
// shared by the translator and document translator unit tests.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../engine/fake_model.h"
#include "../tokenizer/test_vocab.h"
#include "engine/engine.h"
#include "engine/tokenizer_codec.h"
#include "translate/translator.h"

namespace dsinfer::translate::test {

using namespace std::chrono_literals;

// Engine + translator on the toy model. The engine admits at most `max_waiting` queued requests
// and runs at most `max_running` at once.
struct Rig {
  std::shared_ptr<const tokenizer::Tokenizer> tok = std::make_shared<const tokenizer::Tokenizer>(
      tokenizer::test::make_chat_vocab(), "deepseek-llm");
  engine::test::FakeModel model{258, 16, 512, 1024};
  std::unique_ptr<engine::Engine> engine;
  std::shared_ptr<const tokenizer::ChatTemplate> chat =
      std::make_shared<tokenizer::ChatTemplate>(tokenizer::ChatTemplate::from_string(
          "{{ bos_token }}{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"
          "{% if add_generation_prompt %}<assistant>{% endif %}",
          "<s>", "</s>"));
  TranslationCache cache{1 << 20};
  std::unique_ptr<Translator> translator;

  Rig(int64_t max_waiting, int64_t running_slots, int64_t max_segments = 64,
      int64_t max_running = 16) {
    engine::EngineConfig ec;
    ec.max_waiting = max_waiting;
    ec.max_running = max_running;
    engine = std::make_unique<engine::Engine>(model, engine::make_tokenizer_codec(tok), ec, 1024);
    translator = std::make_unique<Translator>(
        *engine, tok, chat, cache, "toy", TranslatorConfig{64, true, max_segments, running_slots});
  }
  ~Rig() { engine->stop(); }
};

// What a job reported, and a way to wait for its end.
struct Outcome {
  std::mutex mu;
  std::vector<size_t> texts;              // on_text indices, in call order
  std::vector<std::string> translations;  // on_text translations, in call order
  int done = 0;
  int errors = 0;
  ErrorKind error_kind = ErrorKind::kInternal;
  TranslationUsage usage;
  std::atomic<int> calls{0};

  TranslationCallbacks callbacks() {
    TranslationCallbacks cb;
    cb.on_text = [this](size_t i, std::string translation) {
      ++calls;
      std::lock_guard lock(mu);
      texts.push_back(i);
      translations.push_back(std::move(translation));
    };
    cb.on_done = [this](const TranslationUsage& u) {
      ++calls;
      std::lock_guard lock(mu);
      ++done;
      usage = u;
    };
    cb.on_error = [this](ErrorKind kind, const std::string&) {
      ++calls;
      std::lock_guard lock(mu);
      ++errors;
      error_kind = kind;
    };
    return cb;
  }
  bool finished() {
    std::lock_guard lock(mu);
    return done + errors > 0;
  }
};

inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

inline std::vector<std::string> sentences(int n, const std::string& stem = "Sentence") {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(stem + " number " + std::to_string(i) + ".");
  return out;
}

inline TranslateOptions short_answers(int64_t tokens = 3) {
  TranslateOptions o;
  o.max_tokens = tokens;
  return o;
}

}  // namespace dsinfer::translate::test
