// Percent-encoding (RFC 3986 §2.1), kept once for the request id, the HTTP fetcher, pagination
// and AWS signing: escapes are %XX with uppercase hex, and the unreserved characters
// (A-Z a-z 0-9 - . _ ~) are never escaped.
#pragma once

#include <string>
#include <string_view>

namespace cachedata::base {

constexpr bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Appends "%XX" for the byte `c`.
void append_percent_escape(std::string& out, unsigned char c);

// Escapes every byte but the unreserved characters and those in `keep` (SigV4 keeps "/" in
// paths).
std::string percent_encode(std::string_view s, std::string_view keep = {});

// Decodes every well-formed escape (either case of hex); anything else, a lone or truncated "%"
// included, is kept as it is.
std::string percent_decode(std::string_view s);

}  // namespace cachedata::base
