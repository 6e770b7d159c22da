// Profile: how long and under which rules a kind of answer is cached.
//
// An application typically has one Profile per remote endpoint. A Profile is a plain value,
// checked by validate(); Cache::get checks it first, before anything is looked up, and rejects
// an invalid one (GetResult::rejected(), error:original, a message that names the field). It can
// be shared between threads once built.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cachedata/status.hpp"

namespace cachedata {

struct Profile {
  // Fresh lifetime of an answer when the origin gives none (or when it is overridden).
  std::chrono::seconds ttl{300};

  // Clock-aligned expiry: entries expire at the next boundary of `interval` on the wall clock of
  // `time_zone` (IANA name), counted from local midnight. Example: every 15 min in
  // America/Chicago expires at :00, :15, :30, :45 local time, correct across DST changes.
  bool on_interval = false;
  std::chrono::seconds interval{900};
  std::string time_zone = "UTC";

  // true: ignore the origin's Cache-Control / Expires and use ttl / interval.
  bool override_origin_expiry = false;

  // On origin failure with an expired entry, serve it (error:cache) and extend it by this much.
  // 0 disables stale serving.
  std::chrono::seconds stale_on_error{300};

  // An expired answer is served at once (source "cache" / "cache:memory", GetResult::stale())
  // for this long past its expiry while one background refresh replaces it (RFC 5861). The
  // origin's own stale-while-revalidate=N takes precedence unless override_origin_expiry.
  // 0: expired answers are refreshed before they are returned.
  std::chrono::seconds stale_while_revalidate{0};

  // Lifetime of negative answers: origin failures (no stale entry to serve) and 4xx answers.
  // 0: failures are not remembered, 4xx answers are not stored.
  std::chrono::seconds negative_ttl{10};

  // Origin headers kept in the entry (names, any case). Empty: keep all. The validators
  // (ETag, Last-Modified), Content-Type and the freshness headers (Cache-Control, Expires) are
  // always kept, since the cache needs them.
  std::vector<std::string> retain_headers;

  // Request headers that are part of the id (names, any case). Empty: all request headers.
  std::vector<std::string> key_headers;

  // --- Under load (docs/DESIGN.md, "One origin call") ---
  // Calls in one process that need the source for the same entry at once always make one call.
  // Across processes and instances sharing a store, the one that calls the source holds a lease
  // on the entry for this long: the others serve the stale entry if there is one, or wait for
  // the holder's answer to appear in the store, and take the lease over once it has expired (a
  // holder that died). 0: no lease (each process calls the source on its own).
  std::chrono::milliseconds refresh_lease{15000};

  // Probabilistic early refresh (XFetch): a fresh hit starts one background refresh when
  // now - fetch_time * early_refresh_beta * ln(U) >= expiry, U uniform in (0, 1], so a hot entry
  // is refreshed shortly before it expires instead of by every caller once it has. 1 is the
  // usual value; larger refreshes earlier. 0: off.
  double early_refresh_beta = 0.0;

  // Clock-aligned expiry (on_interval) pushed later by a random 0 .. interval_jitter per written
  // entry, so a fleet's entries do not all expire in the same second. Must be below interval.
  // 0: off (every entry expires exactly on the boundary).
  std::chrono::seconds interval_jitter{0};

  // Encrypt entries at rest (AES-256-GCM). When false they are still authenticated.
  bool encrypt = true;

  // Labels for logs and metrics only; never part of the id.
  std::string host_id;
  std::string path_id;

  // Checks every field; the error names the field and the value.
  Status validate() const;
};

}  // namespace cachedata
