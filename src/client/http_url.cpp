// Parsing of the base URL given to `dsinfer bench --url`.
#include "client/http_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/error.h"

namespace dsinfer::client {

std::string HttpUrl::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  const std::string h = v6 ? "[" + host + "]" : host;
  return port == "80" ? h : h + ":" + port;
}

std::string HttpUrl::with_route(std::string_view route) const {
  return "http://" + host_header() + path_prefix + std::string(route);
}

HttpUrl parse_http_url(std::string_view url) {
  const std::string original(url);
  std::string lower(url.substr(0, std::min<std::size_t>(url.size(), 8)));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.rfind("https://", 0) == 0) {
    fail(ErrorKind::kUnsupported,
         "URL '{}': https is not supported by the load generator; benchmark the plain-HTTP port "
         "or put a local TLS-terminating proxy in front",
         original);
  }
  if (lower.rfind("http://", 0) != 0) {
    fail(ErrorKind::kInvalidInput, "URL '{}' must start with http://", original);
  }
  std::string_view rest = url.substr(7);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) {
    fail(ErrorKind::kInvalidInput, "URL '{}': a query or fragment is not allowed in the base URL",
         original);
  }
  if (authority.find('@') != std::string_view::npos) {
    fail(ErrorKind::kInvalidInput,
         "URL '{}': credentials in the URL are not supported; use "
         "--api-key",
         original);
  }
  HttpUrl out;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      fail(ErrorKind::kInvalidInput, "URL '{}': unterminated IPv6 address", original);
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') fail(ErrorKind::kInvalidInput, "URL '{}': bad port", original);
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) fail(ErrorKind::kInvalidInput, "URL '{}' has no host", original);
  if (port.empty()) {
    out.port = "80";
  } else {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      fail(ErrorKind::kInvalidInput, "URL '{}': port '{}' is not in 1..65535", original, port);
    }
    out.port = std::to_string(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.path_prefix = std::string(path);
  return out;
}

}  // namespace dsinfer::client
