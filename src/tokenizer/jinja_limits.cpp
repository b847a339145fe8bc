// Template limit errors (see jinja_limits.h).
#include "tokenizer/jinja_limits.h"

#include <fmt/format.h>

namespace dsinfer::tokenizer::jinja {

void limit_exceeded(const std::string& what) {
  throw TemplateLimitError("chat template: " + what + " (a safety limit of the template renderer)");
}

void RenderBudget::exceeded_steps() {
  limit_exceeded(fmt::format("more than {} evaluation steps in one render", kMaxSteps));
}

void RenderBudget::exceeded_iterations() {
  limit_exceeded(fmt::format("more than {} loop iterations in one render", kMaxLoopIterations));
}

void RenderBudget::exceeded_work() {
  limit_exceeded(
      fmt::format("more than {} bytes of strings and arrays built or copied (work) in "
                  "one render",
                  kMaxWorkBytes));
}

}  // namespace dsinfer::tokenizer::jinja
