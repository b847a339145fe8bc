// Minimal Prometheus text-format reader (exposition format 0.0.4: `name{labels} value [ts]`).
#include "client/prometheus_text.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>

namespace dsinfer::client {

namespace {

std::optional<double> parse_number(std::string_view text) {
  const std::string value(text);
  if (value == "+Inf") return std::numeric_limits<double>::infinity();
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || end == value.c_str() || *end != '\0') return std::nullopt;
  return v;
}

// Calls fn(labels, value) for each well-formed sample named exactly `name`; `labels` is the text
// between the braces (empty without labels).
template <typename Fn>
void for_each_sample(std::string_view text, std::string_view name, Fn&& fn) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.substr(0, name.size()) != name) continue;
    std::string_view rest = line.substr(name.size());
    if (rest.empty() || (rest.front() != ' ' && rest.front() != '{')) continue;  // longer name
    std::string_view labels;
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
      labels = rest.substr(1, i - 1);
      rest = rest.substr(i + 1);
    }
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) continue;
    rest = rest.substr(start);
    if (const auto v = parse_number(rest.substr(0, rest.find(' ')))) fn(labels, *v);
  }
}

// The value of label `key` in a label list (`a="x",le="0.5"`), or nullopt.
std::optional<std::string_view> label_value(std::string_view labels, std::string_view key) {
  std::size_t pos = 0;
  while (pos < labels.size()) {
    const auto eq = labels.find("=\"", pos);
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view k = labels.substr(pos, eq - pos);
    std::size_t end = eq + 2;
    while (end < labels.size() && labels[end] != '"') end += labels[end] == '\\' ? 2 : 1;
    if (end >= labels.size()) return std::nullopt;
    if (k == key) return labels.substr(eq + 2, end - eq - 2);
    pos = labels.find_first_not_of(", ", end + 1);
    if (pos == std::string_view::npos) break;
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> prometheus_sample_sum(std::string_view text, std::string_view name) {
  std::optional<double> sum;
  for_each_sample(text, name, [&](std::string_view, double v) { sum = sum.value_or(0.0) + v; });
  return sum;
}

std::optional<HistogramSnapshot> prometheus_histogram(std::string_view text,
                                                      std::string_view name) {
  std::map<double, double> by_bound;
  const std::string bucket = std::string(name) + "_bucket";
  for_each_sample(text, bucket, [&](std::string_view labels, double v) {
    const auto le = label_value(labels, "le");
    if (!le) return;
    if (const auto bound = parse_number(*le)) by_bound[*bound] += v;
  });
  if (by_bound.empty() || !std::isinf(by_bound.rbegin()->first)) return std::nullopt;
  HistogramSnapshot h;
  for (const auto& [bound, count] : by_bound) {
    h.upper_bounds.push_back(bound);
    h.cumulative.push_back(count);
  }
  return h;
}

double histogram_count_between(const HistogramSnapshot& before, const HistogramSnapshot& after) {
  if (before.upper_bounds != after.upper_bounds || after.cumulative.empty()) return 0;
  return after.cumulative.back() - before.cumulative.back();
}

std::optional<double> histogram_quantile_between(double q, const HistogramSnapshot& before,
                                                 const HistogramSnapshot& after) {
  const double total = histogram_count_between(before, after);
  if (total <= 0 || q <= 0 || q >= 1) return std::nullopt;
  const double rank = q * total;
  double below = 0, lower_bound = 0;
  for (std::size_t i = 0; i < after.upper_bounds.size(); ++i) {
    const double upper = after.upper_bounds[i];
    const double cumulative = after.cumulative[i] - before.cumulative[i];
    if (cumulative >= rank) {
      if (std::isinf(upper)) return i > 0 ? after.upper_bounds[i - 1] : std::optional<double>();
      const double in_bucket = cumulative - below;
      return lower_bound + (upper - lower_bound) * (in_bucket > 0 ? (rank - below) / in_bucket : 1);
    }
    below = cumulative;
    lower_bound = upper;
  }
  return std::nullopt;
}

}  // namespace dsinfer::client
