// Splits streamed text of R1-style models into reasoning (before "</think>") and answer, holding
// back a partial "</think>" that spans deltas.
#pragma once

#include <string>

namespace dsinfer::server {

class ReasoningSplitter {
 public:
  // `in_reasoning`: the prompt opened "<think>", so output starts inside the reasoning.
  explicit ReasoningSplitter(bool in_reasoning) : in_reasoning_(in_reasoning) {}

  struct Parts {
    std::string reasoning;
    std::string content;
  };
  Parts push(const std::string& delta);
  Parts flush();

 private:
  bool in_reasoning_;
  bool at_start_ = true;  // strip the newlines right after "</think>"
  std::string held_;
};

}  // namespace dsinfer::server
