// Plain text as lines: splitting with the terminators kept, and putting a translation back on
// the source's line structure (N lines in, N lines out).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::translate {

// Plain text split into lines, each with its terminator ("\n", "\r\n" or "" at the end).
struct TextLine {
  std::string text;
  std::string terminator;
};
std::vector<TextLine> split_lines(std::string_view text);

// `s` with its line breaks as spaces (a line's translation must stay one line).
std::string one_line(std::string s);

// The translation of `source` (a block of text without surrounding whitespace) on the source's
// lines: the model's lines (a trailing "\r" dropped) joined by the source's terminators when it
// wrote as many lines as the source has; nullopt when it did not. A one-line source takes the
// translation as one line (its line breaks as spaces).
std::optional<std::string> reline(std::string_view source, std::string_view translation);

}  // namespace dsinfer::translate
