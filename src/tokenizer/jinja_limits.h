// Bounds on what a chat template may cost. A template comes from the model file and is
// untrusted: past any of these limits parsing or rendering stops with a TemplateLimitError
// (never a crash, a hang or unbounded memory). docs/reliability.md lists them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"

namespace dsinfer::tokenizer::jinja {

inline constexpr size_t kMaxTemplateBytes = size_t{1} << 20;  // template source
// Height of the syntax tree: each operator of a chain (`a ~ b ~ c`), filter (`x|e|e`), test,
// member access, call, nested statement or `elif` is one level.
inline constexpr int kMaxNesting = 128;
inline constexpr int kMaxValueDepth = 64;                        // arrays/objects inside each other
inline constexpr size_t kMaxStringBytes = size_t{4} << 20;       // any string, the output included
inline constexpr size_t kMaxArrayItems = size_t{1} << 17;        // items of one array or object
inline constexpr int64_t kMaxLoopIterations = int64_t{1} << 20;  // one render, all loops
inline constexpr int64_t kMaxSteps = int64_t{1} << 24;           // evaluated nodes in one render
// Bytes of strings and arrays built or copied in one render (bounds time and memory).
inline constexpr size_t kMaxWorkBytes = size_t{256} << 20;

// A template that goes past a limit: invalid input (400 for a request), and a model whose
// template fails this way at load is refused.
class TemplateLimitError : public Error {
 public:
  explicit TemplateLimitError(const std::string& what) : Error(ErrorKind::kInvalidInput, what) {}
};

// Throws TemplateLimitError("chat template: " + what).
[[noreturn]] void limit_exceeded(const std::string& what);

// The cost counters of one render; not thread-safe (one per render).
class RenderBudget {
 public:
  void step() {
    if (++steps_ > kMaxSteps) exceeded_steps();
  }
  void iteration() {
    if (++iterations_ > kMaxLoopIterations) exceeded_iterations();
  }
  void work(size_t bytes) {
    work_ += bytes;
    if (work_ > kMaxWorkBytes) exceeded_work();
  }

 private:
  [[noreturn]] static void exceeded_steps();
  [[noreturn]] static void exceeded_iterations();
  [[noreturn]] static void exceeded_work();

  int64_t steps_ = 0;
  int64_t iterations_ = 0;
  size_t work_ = 0;
};

}  // namespace dsinfer::tokenizer::jinja
