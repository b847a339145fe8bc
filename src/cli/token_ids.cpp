// Token-id list parsing for the CLI.
#include "cli/token_ids.h"

#include <charconv>

#include "base/error.h"

namespace dsinfer::cli {

std::vector<int32_t> parse_token_ids(const std::string& text, const std::string& flag) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i <= text.size()) {
    size_t end = text.find(',', i);
    if (end == std::string::npos) end = text.size();
    size_t b = i;
    size_t e = end;
    while (b < e && text[b] == ' ') ++b;
    while (e > b && text[e - 1] == ' ') --e;
    int32_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + b, text.data() + e, v);
    if (b == e || ec != std::errc() || ptr != text.data() + e || v < 0) {
      fail(ErrorKind::kInvalidInput, "{}: '{}' is not a token id (expected e.g. 1,2,3)", flag,
           text.substr(b, e - b));
    }
    ids.push_back(v);
    i = end + 1;
  }
  return ids;
}

}  // namespace dsinfer::cli
