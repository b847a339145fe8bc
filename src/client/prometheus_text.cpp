// Minimal Prometheus text-format reader (exposition format 0.0.4: `name{labels} value [ts]`).
#include "client/prometheus_text.h"

#include <cstdlib>
#include <string>

namespace dsinfer::client {

std::optional<double> prometheus_sample_sum(std::string_view text, std::string_view name) {
  std::optional<double> sum;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.substr(0, name.size()) != name) continue;
    std::string_view rest = line.substr(name.size());
    if (rest.empty() || (rest.front() != ' ' && rest.front() != '{')) continue;  // longer name
    if (rest.front() == '{') {
      // NOTE: label values may contain '}' inside quotes; skip quoted strings while scanning.
      bool quoted = false;
      std::size_t i = 1;
      for (; i < rest.size(); ++i) {
        if (quoted && rest[i] == '\\') {
          ++i;
        } else if (rest[i] == '"') {
          quoted = !quoted;
        } else if (!quoted && rest[i] == '}') {
          break;
        }
      }
      if (i >= rest.size()) continue;
      rest = rest.substr(i + 1);
    }
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) continue;
    rest = rest.substr(start);
    const std::string value(rest.substr(0, rest.find(' ')));
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0') continue;
    sum = sum.value_or(0.0) + v;
  }
  return sum;
}

}  // namespace dsinfer::client
