#include "core/url.hpp"

#include <algorithm>
#include <optional>

#include "base/hex.hpp"
#include "base/percent_encoding.hpp"
#include "cachedata/headers.hpp"

namespace cachedata::core {
namespace {

void parse_query(std::string_view query, QueryParams& out) {
  out.reserve(static_cast<size_t>(std::count(query.begin(), query.end(), '&')) + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    out.emplace_back(normal_query_component(key), normal_query_component(value));
  }
}

std::string normal_host(std::string_view scheme, std::string_view authority) {
  std::string host = to_lower(authority);
  // The port is kept unless it is the scheme's default, so "host:443" and "host" are one id.
  size_t colon = host.rfind(':');
  size_t bracket = host.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    std::string_view port = std::string_view(host).substr(colon + 1);
    if (port.empty() || (scheme == "https" && port == "443") ||
        (scheme == "http" && port == "80")) {
      host.erase(colon);
    }
  }
  return host;
}

// The byte an escape "%XY" at s[i] stands for, when s[i..i+2] is one.
std::optional<char> escape_at(std::string_view s, size_t i) {
  if (s[i] != '%' || i + 2 >= s.size()) return std::nullopt;
  int hi = base::hex_digit_value(s[i + 1]), lo = base::hex_digit_value(s[i + 2]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<char>(hi << 4 | lo);
}

}  // namespace

std::string normal_query_component(std::string_view s) {
  if (s.find('%') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = escape_at(s, i);
    if (!c) {
      out.push_back(s[i]);
      continue;
    }
    if (base::is_unreserved(*c)) {
      out.push_back(*c);
    } else {
      base::append_percent_escape(out, static_cast<unsigned char>(*c));  // uppercase hex
    }
    i += 2;
  }
  return out;
}

Result<Target> resolve_target(const Request& request) {
  Target t;
  if (!request.uri.empty()) {
    std::string_view uri = request.uri;
    size_t hash = uri.find('#');
    if (hash != std::string_view::npos) uri = uri.substr(0, hash);
    size_t sep = uri.find("://");
    if (sep == std::string_view::npos) {
      return Status::invalid_argument("request URI is not absolute (scheme://host/...): " +
                                      request.uri);
    }
    t.scheme = to_lower(uri.substr(0, sep));
    if (t.scheme != "http" && t.scheme != "https") {
      return Status::invalid_argument("request URI scheme must be http or https: " + request.uri);
    }
    std::string_view rest = uri.substr(sep + 3);
    size_t auth_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, auth_end);
    rest = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      t.userinfo = std::string(authority.substr(0, at));
      authority = authority.substr(at + 1);
    }
    if (authority.empty())
      return Status::invalid_argument("request URI has no host: " + request.uri);
    t.host = normal_host(t.scheme, authority);
    size_t q = rest.find('?');
    t.path = std::string(rest.substr(0, q));
    if (q != std::string_view::npos) parse_query(rest.substr(q + 1), t.params);
  } else {
    if (request.host.empty()) {
      return Status::invalid_argument("request has neither a URI nor a host");
    }
    t.scheme = to_lower(request.scheme.empty() ? "https" : request.scheme);
    if (t.scheme != "http" && t.scheme != "https") {
      return Status::invalid_argument("request scheme must be http or https: " + request.scheme);
    }
    t.host = normal_host(t.scheme, request.host);
    t.path = request.path;
  }
  if (t.host.empty() || t.host.front() == ':') {
    return Status::invalid_argument("request has no host: " +
                                    (request.uri.empty() ? request.host : request.uri));
  }
  if (t.path.empty()) t.path.push_back('/');
  if (t.path.front() != '/') t.path = std::string("/").append(t.path);
  // Request::params are raw values: in the id as the fetcher encodes them for the wire.
  for (const auto& [k, v] : request.params)
    t.params.emplace_back(base::percent_encode(k), base::percent_encode(v));
  return t;
}

}  // namespace cachedata::core
