// HTTP dates (RFC 9110 §5.6.7): what Expires, Date, Last-Modified and Retry-After carry.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cachedata::base {

// The three forms a recipient must accept: IMF-fixdate, RFC 850 and asctime, with optional
// whitespace around; std::nullopt for anything else (trailing text included).
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);
// IMF-fixdate, the one form a sender may use: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::chrono::sys_seconds t);

}  // namespace cachedata::base
