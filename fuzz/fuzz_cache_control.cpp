// Fuzz target: the origin's caching headers (src/core/cache_control.hpp) — Cache-Control values
// and HTTP dates (Expires, Date, Last-Modified) come straight from the network.
//
// The whole input is parsed both as a Cache-Control value and as an HTTP date.
// Invariants (abort when broken):
//   - every delta-seconds result is in [0, 2^31] (RFC 9111 §1.2.2);
//   - directive names are case-insensitive: an ASCII-uppercased header parses the same;
//   - a header listed twice ("h, h") parses as the header once (repeats keep the smallest value);
//   - a parsed date formats (IMF-fixdate) and parses back to the same instant.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/http_date.hpp"
#include "core/cache_control.hpp"

std::vector<std::string> cachedata_fuzz_seeds();

namespace {

using cachedata::core::CacheControl;

constexpr int64_t kMaxDelta = 2147483648LL;

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "fuzz_cache_control: invariant broken: %s (input of %zu bytes)\n", what,
               input.size());
  std::abort();
}

bool same(const CacheControl& a, const CacheControl& b) {
  return a.max_age == b.max_age && a.s_maxage == b.s_maxage &&
         a.stale_if_error == b.stale_if_error &&
         a.stale_while_revalidate == b.stale_while_revalidate && a.no_store == b.no_store &&
         a.no_cache == b.no_cache && a.must_revalidate == b.must_revalidate &&
         a.proxy_revalidate == b.proxy_revalidate && a.immutable == b.immutable &&
         a.is_private == b.is_private && a.is_public == b.is_public;
}

bool delta_in_range(const std::optional<int64_t>& d) {
  return !d || (*d >= 0 && *d <= kMaxDelta);
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

void check_cache_control(std::string_view input) {
  const CacheControl cc = cachedata::core::parse_cache_control(input);
  if (!delta_in_range(cc.max_age) || !delta_in_range(cc.s_maxage) ||
      !delta_in_range(cc.stale_if_error) || !delta_in_range(cc.stale_while_revalidate)) {
    fail("a delta-seconds value out of [0, 2^31]", input);
  }
  if (!same(cachedata::core::parse_cache_control(ascii_upper(input)), cc)) {
    fail("upper-casing the header changed its meaning", input);
  }
  // Repeating the header is harmless when it leaves no quoted string open.
  size_t quotes = 0;
  for (char c : input) quotes += c == '"';
  if (quotes % 2 == 0) {
    const std::string twice = std::string(input) + ", " + std::string(input);
    if (!same(cachedata::core::parse_cache_control(twice), cc)) {
      fail("a header repeated twice parsed differently from once", input);
    }
  }
}

void check_http_date(std::string_view input) {
  const auto t = cachedata::base::parse_http_date(input);
  if (!t) return;
  const std::string formatted = cachedata::base::format_http_date(*t);
  const auto back = cachedata::base::parse_http_date(formatted);
  if (!back || *back != *t) fail("a parsed date does not survive format + parse", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_cache_control(input);
  check_http_date(input);
  return 0;
}

std::vector<std::string> cachedata_fuzz_seeds() {
  return {
      // Cache-Control values seen from real origins and CDNs.
      "max-age=60",
      "public, max-age=31536000, immutable",
      "private, max-age=0, must-revalidate",
      "no-cache",
      "no-store",
      "no-cache, no-store, must-revalidate",
      "public, max-age=300, s-maxage=600, stale-while-revalidate=30, stale-if-error=86400",
      "max-age=\"60\"",
      "no-cache=\"Set-Cookie, Via\", max-age=10",
      "private=\"Authorization\"",
      "MAX-AGE=5, Max-Age=3, max-age=9",
      "max-age=99999999999999999999",
      "max-age=-1",
      "max-age=, s-maxage=abc",
      "proxy-revalidate, max-age=0, s-maxage=0",
      " , ,max-age = 7 ,\t",
      "max-age=1\"2\"",
      "\"",
      // HTTP dates in the three forms, and near misses.
      "Sun, 06 Nov 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 1994",
      "Thu, 01 Jan 1970 00:00:00 GMT",
      "Fri, 31 Dec 9999 23:59:59 GMT",
      "Mon, 29 Feb 2027 12:00:00 GMT",
      "Wed, 21 Oct 2015 07:28:00 GMT junk",
      "  Tue, 15 Nov 1994 12:45:26 GMT  ",
      "Tue, 15 Nov 1994 25:61:61 GMT",
      "0",
  };
}
