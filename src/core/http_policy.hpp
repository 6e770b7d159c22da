// CachePolicy: the caching rules of one profile as a pure object, after http-cache-semantics'
// CachePolicy (storable(), timeToLive(), revalidatedPolicy()). It says what an origin answer
// becomes as an entry and whether and until when it is kept, how a 304 refreshes a stored entry
// (RFC 9111 §4.3.4), which headers an entry retains, under which id a Vary answer lives, and what
// happens to a stale entry when the source fails. No I/O, no store, no clock of its own: the time
// is an argument. The get flow (cache.cpp) keeps only the order of lookups, fetches and writes.
// Tests: tests/http_policy_test.cpp, one table per rule.
//
// A policy is made once per get, before anything is looked up, and making it validates the
// profile: an invalid profile is refused before any entry is served with it.
//
// It views the profile it was made from, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/headers.hpp"
#include "cachedata/profile.hpp"
#include "cachedata/response.hpp"
#include "cachedata/status.hpp"
#include "core/entry.hpp"
#include "core/expiry_policy.hpp"

namespace cachedata::core {

// An entry the policy made and what to do with it.
struct PolicyEntry {
  std::shared_ptr<Entry> entry;
  ExpiryDecision decision;  // store it or not, and until when it is fresh
};

class CachePolicy {
 public:
  // kInvalidArgument naming the field when the profile is invalid (Profile::validate).
  // `jitter_fraction` in [0, 1) places this get's clock-aligned expiries within the profile's
  // interval_jitter (the caller draws it; 0 when the profile has no jitter).
  static Result<CachePolicy> make(const Profile& profile, std::string_view default_time_zone,
                                  double jitter_fraction = 0.0);
  // A temporary profile would be gone before the policy is used.
  static Result<CachePolicy> make(const Profile&& profile, std::string_view, double = 0.0) = delete;

  const Profile& profile() const { return *profile_; }

  // Header retention: every header when the profile names none; else the named ones and those
  // the cache's own rules need (validators, freshness directives, Content-Type, Vary).
  bool retains(std::string_view name) const;
  Headers retained(const Headers& origin) const;

  // A new answer from the source (not a failure, not a 304): the entry it becomes, dated `now`,
  // and whether and until when it is stored. An error only for an expiry that cannot be
  // computed (never for a profile make() accepted).
  Result<PolicyEntry> answer(Response response, TimePoint now, uint32_t fetch_ms) const;

  // A 304 to the revalidation of `stored`: the 304's header fields replace the stored ones of the
  // same name, except those that describe the 304 message itself; the stored Date and Age go
  // unless the 304 brings its own (measured from them an Expires would grant its whole lifetime
  // again). The refreshed entry shares the stored body. decision.store is false when the 304 now
  // forbids storing (no-store, Vary: *): the stored copy must then go.
  PolicyEntry revalidated(const Entry& stored, const Headers& not_modified, TimePoint now) const;

  // Vary: the request header names an answer varies on that are not already part of its id
  // (none when every request header is keyed). Empty: the answer lives under the request's id.
  std::vector<std::string> unkeyed_vary(const Headers& answer_headers) const;
  // The profile whose id also covers `names`: the variant's id is the request id under it.
  Profile variant_profile(const std::vector<std::string>& names) const;
  // The pointer entry left at the request's id, naming the headers of the variant.
  static std::shared_ptr<Entry> vary_pointer(const std::vector<std::string>& names,
                                             int64_t stored_at_ms, int64_t expires);

  // The source failed and `stale` expired at `expires`: serve it or not, and until when.
  StaleDecision on_failure(const Headers& stored_headers, int64_t expires, TimePoint now) const;
  // XFetch (Vattani et al., "Optimal Probabilistic Cache Stampede Prevention"): whether a
  // fresh answer that took `fetch_ms` to fetch and expires at `expires` (unix seconds) is
  // refreshed early now, given `uniform` drawn from (0, 1]: now - fetch_ms * beta * ln(uniform)
  // >= expires. Never when the profile's early_refresh_beta is 0.
  bool refresh_early(int64_t expires, uint32_t fetch_ms, TimePoint now, double uniform) const;
  // Until when an expired answer may be served while one background refresh runs.
  int64_t background_refresh_until(const Headers& stored_headers, int64_t expires) const;
  // The remembered failure of a miss (negative caching); remember it only when
  // remembers_failures().
  PolicyEntry failure(int status_code, std::string why, TimePoint now, uint32_t fetch_ms) const;
  bool remembers_failures() const { return profile_->negative_ttl.count() > 0; }

 private:
  CachePolicy(const Profile& profile, std::string_view default_time_zone, double jitter_fraction)
      : profile_(&profile),
        default_time_zone_(default_time_zone),
        jitter_fraction_(jitter_fraction) {}
  // A clock-aligned expiry moved by this get's share of interval_jitter.
  ExpiryDecision jittered(ExpiryDecision decision) const;
  const Profile* profile_;
  std::string_view default_time_zone_;
  double jitter_fraction_;
};

int64_t unix_millis(TimePoint t);

}  // namespace cachedata::core
