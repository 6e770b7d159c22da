// Fuzz target: the request's endpoint and its canonical form (src/core/url.hpp,
// src/core/request_id.hpp) — URIs, parameters and headers come from the application, often from
// its own users.
//
// Input: a control byte, then lines ('\n'):
//   line 1  the URI (control bit 0 set), else the scheme      line 3  the host (no URI)
//   line 2  the method                                         line 4  the path (no URI)
//   then    "?k=v" a parameter, "Name: value" a header, anything else is appended to the body.
// control bit 1: the profile's key headers are the first header's name only; bit 2: Request::auth.
// Invariants (abort when broken):
//   - canonical_request succeeds exactly when resolve_target does, and is deterministic;
//   - a resolved target has scheme http or https, a lowercase host, a path starting with '/';
//   - the canonical form ignores the order of the parameters, the order of the (non-
//     Authorization) headers, the case of header names and of the method;
//   - request_id is 64 lowercase hex characters;
//   - percent_decode(percent_encode(s)) == s, and percent_encode's output is unreserved or %XX.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/percent_encoding.hpp"
#include "cachedata/headers.hpp"
#include "cachedata/profile.hpp"
#include "cachedata/request.hpp"
#include "core/request_id.hpp"
#include "core/url.hpp"
#include "crypto/sha256.hpp"

std::vector<std::string> cachedata_fuzz_seeds();

namespace {

using cachedata::Profile;
using cachedata::Request;

[[noreturn]] void fail(const char* what, size_t size) {
  std::fprintf(stderr, "fuzz_url: invariant broken: %s (input of %zu bytes)\n", what, size);
  std::abort();
}

const cachedata::crypto::HmacSha256& id_mac() {
  static const uint8_t kKey[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  static const cachedata::crypto::HmacSha256 mac(kKey);
  return mac;
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void check_percent_coding(std::string_view s, size_t size) {
  const std::string encoded = cachedata::base::percent_encode(s);
  for (size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) continue;
    auto hex = [&](size_t at) {
      return at < encoded.size() && std::isxdigit(static_cast<unsigned char>(encoded[at]));
    };
    if (c != '%' || !hex(i + 1) || !hex(i + 2)) {
      fail("percent_encode wrote a reserved character", size);
    }
    i += 2;
  }
  if (cachedata::base::percent_decode(encoded) != s)
    fail("percent coding does not round-trip", size);
}

// The same request with parameters and non-Authorization headers in reverse order, header names
// in another case and the method in lowercase.
Request shuffled(const Request& r) {
  Request out = r;
  std::reverse(out.params.begin(), out.params.end());
  std::vector<cachedata::Headers::Field> auth, others;
  for (const auto& [name, value] : r.headers) {
    (cachedata::iequals(name, "authorization") ? auth : others).emplace_back(name, value);
  }
  std::reverse(others.begin(), others.end());
  out.headers = cachedata::Headers();
  for (auto& [name, value] : auth) out.headers.add(name, value);
  for (auto& [name, value] : others) {
    std::string flipped = name;
    for (char& c : flipped) {
      if (c >= 'a' && c <= 'z') {
        c = static_cast<char>(c - 'a' + 'A');
      } else if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
    }
    out.headers.add(flipped, value);
  }
  for (char& c : out.method) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const std::vector<std::string_view> lines =
      split_lines(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));

  Request request;
  if (control & 0x01) {
    request.uri = std::string(lines[0]);
  } else {
    request.scheme = std::string(lines[0]);
  }
  if (lines.size() > 1) request.method = std::string(lines[1]);
  if (!(control & 0x01)) {
    if (lines.size() > 2) request.host = std::string(lines[2]);
    if (lines.size() > 3) request.path = std::string(lines[3]);
  }
  for (size_t i = (control & 0x01) ? 2 : 4; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t colon = line.find(':');
    if (!line.empty() && line[0] == '?') {
      const size_t eq = line.find('=');
      request.params.emplace_back(std::string(line.substr(1, eq == line.npos ? line.npos : eq - 1)),
                                  eq == line.npos ? "" : std::string(line.substr(eq + 1)));
    } else if (colon != std::string_view::npos && colon > 0) {
      request.headers.add(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    } else {
      request.body.append(line);
    }
  }
  if (control & 0x04) request.auth = "user-42";
  Profile profile;
  if ((control & 0x02) && !request.headers.empty()) {
    profile.key_headers = {request.headers.fields().front().first};
  }

  const auto target = cachedata::core::resolve_target(request);
  const auto canonical = cachedata::core::canonical_request(profile, request);
  if (target.is_ok() != canonical.is_ok()) {
    fail("canonical_request and resolve_target disagree", size);
  }
  check_percent_coding(request.uri, size);
  if (!target) return 0;

  if (target->scheme != "http" && target->scheme != "https") fail("scheme not http(s)", size);
  if (target->host != cachedata::to_lower(target->host)) fail("host not lowercase", size);
  if (target->path.empty() || target->path.front() != '/') fail("path without a '/'", size);

  const auto again = cachedata::core::canonical_request(profile, request);
  if (!again || *again != *canonical) fail("canonical_request is not deterministic", size);
  const auto reordered = cachedata::core::canonical_request(profile, shuffled(request));
  if (!reordered || *reordered != *canonical) {
    fail("the canonical form depends on parameter or header order or case", size);
  }
  const auto id = cachedata::core::request_id(id_mac(), profile, request);
  if (!id || id->size() != 64 || !is_lower_hex(*id)) fail("request id is not 64 hex", size);
  return 0;
}

std::vector<std::string> cachedata_fuzz_seeds() {
  const std::string uri(1, '\x01');
  const std::string parts(1, '\x00');
  return {
      uri + "https://api.example.com/v1/items?page=2&sort=asc\nGET\nAccept: application/json",
      uri + "https://api.example.com/v1/items?sort=asc&page=2#section\nget\n?limit=10\n?page=3",
      uri +
          "HTTPS://API.Example.COM:443/v1/items\nPOST\nAuthorization: Bearer abc\n"
          "Authorization: Bearer def\nContent-Type: application/json\n{\"q\":1}",
      uri + "http://user:p%40ss@127.0.0.1:8080/a%20b/c?x=%41%zz&&=&k&k=1\nPUT",
      uri + "http://[::1]:80/?a=1&a=2&a=\nDELETE\nX-Trace: 1\nx-trace: 2",
      uri + "https://example.com\n\n?empty=",
      uri + "https://example.com:/path?\nPATCH",
      uri + "https://@example.com/@?@=@",
      uri + "ftp://example.com/file",
      uri + "example.com/no-scheme",
      uri + "https:///no-host",
      uri + "https://:443/empty-host",
      std::string(1, '\x03') +
          "https://api.example.com/v1/users\nGET\nAccept: text/csv\n"
          "Accept-Language: fr\nAuthorization: token",
      std::string(1, '\x05') + "https://api.example.com/v1/me\nGET",
      parts + "https\nGET\napi.example.com\n/v1/items\n?page=2\n?sort=asc\nAccept: */*",
      parts + "HTTP\nHEAD\nExample.com:80\nrelative/path",
      parts + "\nGET\nexample.com:8443\n",
      parts + "gopher\nGET\nexample.com\n/",
      parts + "https\nGET\n\n/no-host",
  };
}
