// Lines of plain text and the line structure of a translation.
#include "translate/text_lines.h"

namespace dsinfer::translate {

std::vector<TextLine> split_lines(std::string_view text) {
  std::vector<TextLine> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.push_back({std::string(text.substr(start)), ""});
      break;
    }
    size_t end = nl;
    if (end > start && text[end - 1] == '\r') --end;
    out.push_back({std::string(text.substr(start, end - start)),
                   std::string(text.substr(end, nl + 1 - end))});
    start = nl + 1;
  }
  return out;
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

std::optional<std::string> reline(std::string_view source, std::string_view translation) {
  const auto lines = split_lines(source);
  if (lines.size() <= 1) return one_line(std::string(translation));
  const auto written = split_lines(translation);
  if (written.size() != lines.size()) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    out += written[i].text;
    out += lines[i].terminator;
  }
  return out;
}

}  // namespace dsinfer::translate
