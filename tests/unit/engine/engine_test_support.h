// Helpers for engine tests: collect a request's whole stream, build prompts.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/request_stream.h"

namespace dsinfer::engine::test {

struct Outcome {
  std::vector<TokenId> tokens;
  std::string text;
  Event last;
};

// Waits for every event of `stream` (failing the test after 60 s without one).
inline Outcome collect(RequestStream& stream) {
  Outcome out;
  while (true) {
    auto e = stream.next_for(std::chrono::seconds(60));
    if (!e) {
      ADD_FAILURE() << "no event within 60 s";
      return out;
    }
    out.tokens.insert(out.tokens.end(), e->tokens.begin(), e->tokens.end());
    out.text += e->text;
    if (e->is_last()) {
      out.last = std::move(*e);
      return out;
    }
  }
}

// A prompt of `n` tokens in [2, n_vocab) derived from `salt`.
inline std::vector<TokenId> make_prompt(int64_t n, uint64_t salt, int64_t n_vocab) {
  std::vector<TokenId> p;
  uint64_t x = salt * 0x9E3779B97F4A7C15ULL + 12345;
  for (int64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p.push_back(static_cast<TokenId>(2 + x % static_cast<uint64_t>(n_vocab - 2)));
  }
  return p;
}

// Submits `r` and waits for its whole stream.
inline Outcome run_one(Engine& engine, Request r) {
  RequestStream stream;
  engine.submit(std::move(r), stream.sink());
  return collect(stream);
}

inline Request greedy_request(std::vector<TokenId> prompt, int64_t max_tokens) {
  Request r;
  r.prompt_tokens = std::move(prompt);
  r.max_tokens = max_tokens;
  r.ignore_eos = true;
  return r;
}

}  // namespace dsinfer::engine::test
