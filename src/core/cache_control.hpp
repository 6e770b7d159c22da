// Parsing of the Cache-Control response header (RFC 9111 §5.2) and of HTTP dates (RFC 9110
// §5.6.7). Pure functions.
//
// Interpretation of malformed input (documented in docs/DESIGN.md, "Cache-Control"):
//   - directive names are case-insensitive; unknown directives are ignored;
//   - a value may be quoted ("60"); a delta-seconds value that is not a non-negative integer
//     makes that directive invalid: an invalid max-age / s-maxage means "already stale" (0);
//   - values over 2^31 are clamped to 2147483648 (RFC 9111 §1.2.2);
//   - a repeated directive keeps its most restrictive (smallest) value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cachedata::core {

struct CacheControl {
  std::optional<int64_t> max_age;
  std::optional<int64_t> s_maxage;
  std::optional<int64_t> stale_if_error;
  std::optional<int64_t> stale_while_revalidate;
  bool no_store = false;
  bool no_cache = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool immutable = false;
  bool is_private = false;
  bool is_public = false;
};

CacheControl parse_cache_control(std::string_view header);

// (HTTP dates: base/http_date.hpp.)

}  // namespace cachedata::core
