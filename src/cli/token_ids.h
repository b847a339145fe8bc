// Parsing of token-id lists given on the command line ("1,2,3"), shared by every subcommand
// that takes them (--prompt-tokens, --ids).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer::cli {

// Parses comma-separated non-negative ids (spaces allowed around each). Throws
// Error(kInvalidInput) naming `flag` and the offending item.
std::vector<int32_t> parse_token_ids(const std::string& text, const std::string& flag);

}  // namespace dsinfer::cli
