// The expiry policy: a pure function of (profile, origin answer, now) that says whether an
// answer is stored and until when it is fresh. No I/O; the clock is an argument. The rules are
// in docs/DESIGN.md, "Expiry"; the tests are table-driven (tests/expiry_policy_test.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/headers.hpp"
#include "cachedata/profile.hpp"
#include "cachedata/status.hpp"

namespace cachedata::core {

using TimePoint = std::chrono::system_clock::time_point;

struct ExpiryDecision {
  bool store = true;      // false: return the answer but keep no entry (no-store, negative_ttl 0)
  int64_t expires = 0;    // unix seconds; fresh while now < expires
  const char* rule = "";  // which rule decided, for logs and tests ("ttl", "max-age"...)
};

// The next clock-aligned boundary strictly after `now`: multiples of `interval` counted from
// local midnight in `time_zone`, following the zone's UTC offset changes (DST). kInvalidArgument
// for an unknown zone or an interval outside 1 s .. 24 h.
Result<int64_t> next_interval_boundary(TimePoint now, std::chrono::seconds interval,
                                       std::string_view time_zone);

// Freshness from the profile alone (ttl, or the interval when on_interval).
Result<int64_t> profile_expiry(const Profile& profile, TimePoint now,
                               std::string_view default_time_zone);

// Decision for an origin answer that is not a failure (see Response::is_failure).
Result<ExpiryDecision> decide_expiry(const Profile& profile, int status_code,
                                     const Headers& response_headers, TimePoint now,
                                     std::string_view default_time_zone);

// Expiry of a stale entry served after an origin failure (error:cache).
int64_t stale_extension(const Profile& profile, TimePoint now);

// Whether an expired answer may be served when the source fails, and its new expiry if so.
struct StaleDecision {
  bool serve = false;
  int64_t expires = 0;  // unchanged when only the origin's stale-if-error window allows it
  const char* rule = "";
};
// The profile's stale_on_error allows it, unless the origin (not overridden) said
// must-revalidate or no-cache; the origin's stale-if-error=N allows it for N seconds past the
// expiry even when the profile does not.
StaleDecision decide_stale_on_failure(const Profile& profile, const Headers& stored_headers,
                                      int64_t expires, TimePoint now);

// Until when an expired answer may be served at once while it is refreshed in the background
// (RFC 5861 §3): the origin's stale-while-revalidate=N past the expiry (unless overridden), else
// the profile's stale_while_revalidate; never for must-revalidate or no-cache. `expires` when
// there is no window.
int64_t background_refresh_until(const Profile& profile, const Headers& stored_headers,
                                 int64_t expires);

// The request header names an answer's Vary fields list (lowercase, sorted, unique), and
// whether one of them is "*" (the answer varies on more than the request: never stored).
struct VaryNames {
  std::vector<std::string> names;
  bool star = false;
};
VaryNames vary_names(const Headers& response_headers);

// Expiry of a remembered origin failure.
int64_t negative_expiry(const Profile& profile, TimePoint now);

// When the store may delete an entry: its expiry plus the purge window (never its write time).
int64_t purge_time(int64_t expires, std::chrono::seconds purge_window);

int64_t to_unix_seconds(TimePoint t);

}  // namespace cachedata::core
