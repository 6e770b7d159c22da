// Parsing and rebuilding the URL a Request addresses. Pure functions, no I/O.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cachedata/request.hpp"
#include "cachedata/status.hpp"

namespace cachedata::core {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// A request's endpoint in the normal form the request id uses.
struct Target {
  std::string scheme;    // lowercase
  std::string host;      // lowercase; ":port" only when not the scheme's default
  std::string path;      // as given; "/" when empty
  std::string userinfo;  // "user:password" from the URI, if any (a credential)
  QueryParams params;    // in normal form (normal_query_component): the URI's query as sent,
                         // plus Request::params percent-encoded as the fetcher sends them
};

// Fails with kInvalidArgument when neither a URI nor a host is given, or the URI is not
// absolute http(s).
Result<Target> resolve_target(const Request& request);

// (Percent-encoding and decoding themselves: base/percent_encoding.hpp.)
// RFC 3986 §6.2.2 normalisation of a query component as sent on the wire: escapes of unreserved
// characters are decoded, other escapes get uppercase hex, everything else is kept as it is. So
// "%7E" and "~" are one parameter, but "+" and "%2B" (and "%26", "%3D") stay apart, as an origin
// tells them apart.
std::string normal_query_component(std::string_view s);

}  // namespace cachedata::core
