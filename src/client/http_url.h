// Base URL of the server under test: parsed once from --url into host, port and path prefix.
#pragma once

#include <string>
#include <string_view>

namespace dsinfer::client {

struct HttpUrl {
  std::string host;         // "127.0.0.1", "localhost", "[::1]" without brackets
  std::string port;         // "8080"; "80" when absent
  std::string path_prefix;  // "" or "/prefix" (no trailing slash); routes are appended
  // "host:port" as sent in the Host header.
  std::string host_header() const;
  // "http://host:port" + path_prefix + route.
  std::string with_route(std::string_view route) const;
};

// Parses "http://HOST[:PORT][/PREFIX]". Throws Error(kUnsupported) for https (put a plain-HTTP
// port or a local TLS-terminating proxy in front) and Error(kInvalidInput) for anything else
// malformed (names the URL and what is wrong).
HttpUrl parse_http_url(std::string_view url);

}  // namespace dsinfer::client
