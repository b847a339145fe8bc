// Stop strings over a stream of decoded text: holds back any tail that could still become a stop
// string, so that a stop string (even one spanning several tokens) is never emitted.
#pragma once

#include <string>
#include <vector>

namespace dsinfer::engine {

// Not thread-safe; one per sequence.
class StopChecker {
 public:
  // Empty strings in `stops` are ignored.
  explicit StopChecker(std::vector<std::string> stops);

  struct Result {
    std::string emit;      // text safe to hand to the caller now
    bool stopped = false;  // a stop string matched: `emit` is the text before it; stop here
  };

  // Appends newly decoded text and returns what may be emitted.
  Result push(const std::string& text);
  // At the end of generation (no stop): returns the held-back text.
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string pending_;  // text not yet emitted (could be the start of a stop string)
};

}  // namespace dsinfer::engine
