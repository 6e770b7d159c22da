#include "core/expiry_policy.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "base/http_date.hpp"
#include "base/strings.hpp"
#include "core/cache_control.hpp"

namespace cachedata::core {

using std::chrono::seconds;

int64_t to_unix_seconds(TimePoint t) {
  return std::chrono::floor<seconds>(t.time_since_epoch()).count();
}

Result<int64_t> next_interval_boundary(TimePoint now, seconds interval,
                                       std::string_view time_zone) {
  if (interval < seconds(1) || interval > seconds(86400)) {
    return Status::invalid_argument("interval must be between 1 and 86400 seconds, got " +
                                    std::to_string(interval.count()));
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(time_zone);
  } catch (const std::exception&) {
    return Status::invalid_argument("unknown time zone '" + std::string(time_zone) + "'");
  }
  date::sys_seconds t = std::chrono::floor<seconds>(now);
  // Walk forward through offset changes: within one offset period, the next boundary is plain
  // arithmetic on local time; if the offset changes before that boundary, start again from the
  // change (where the wall clock may itself show a boundary, e.g. 01:00 after a fall-back).
  for (int step = 0; step < 8; ++step) {
    date::sys_info info = zone->get_info(t);
    date::local_seconds local{t.time_since_epoch() + info.offset};
    date::local_days day = std::chrono::floor<date::days>(local);
    seconds since_midnight = local - day;
    if (step > 0 && since_midnight % interval == seconds(0)) return t.time_since_epoch().count();
    seconds next = (since_midnight / interval + 1) * interval;
    next = std::min<seconds>(next, seconds(86400));  // a day's last slot ends at midnight
    date::local_seconds boundary = day + next;
    date::sys_seconds candidate{boundary.time_since_epoch() - info.offset};
    if (candidate < info.end) return candidate.time_since_epoch().count();
    t = info.end;
  }
  return Status::invalid_argument("time zone '" + std::string(time_zone) +
                                  "' changes offset too often to align an interval");
}

Result<int64_t> profile_expiry(const Profile& profile, TimePoint now,
                               std::string_view default_time_zone) {
  if (profile.on_interval) {
    std::string_view zone = profile.time_zone.empty() ? default_time_zone : profile.time_zone;
    return next_interval_boundary(now, profile.interval, zone);
  }
  return to_unix_seconds(now) + profile.ttl.count();
}

Result<ExpiryDecision> decide_expiry(const Profile& profile, int status_code,
                                     const Headers& headers, TimePoint now,
                                     std::string_view default_time_zone) {
  const int64_t now_s = to_unix_seconds(now);
  // The answer depends on more than the request (RFC 9110 §12.5.5): no stored copy can be right.
  // Content, not freshness: it holds with override_origin_expiry too.
  if (vary_names(headers).star) return ExpiryDecision{false, now_s, "vary-star"};
  // 4xx answers are real answers, but kept only for the (short) negative TTL.
  if (status_code >= 400) {
    return ExpiryDecision{profile.negative_ttl.count() > 0, now_s + profile.negative_ttl.count(),
                          "negative-ttl"};
  }
  if (!profile.override_origin_expiry) {
    auto cc_text = headers.get_combined("cache-control");
    CacheControl cc = cc_text ? parse_cache_control(*cc_text) : CacheControl{};
    if (cc.no_store) return ExpiryDecision{false, now_s, "no-store"};
    if (cc.no_cache) return ExpiryDecision{true, now_s, "no-cache"};
    int64_t age = 0;
    if (auto age_text = headers.get("age")) {
      int64_t parsed = 0;
      for (char c : *age_text) {
        if (c < '0' || c > '9') {
          parsed = 0;
          break;
        }
        parsed = std::min<int64_t>(parsed * 10 + (c - '0'), 2147483648LL);
      }
      age = parsed;
    }
    if (cc.max_age) {
      return ExpiryDecision{true, now_s + std::max<int64_t>(0, *cc.max_age - age), "max-age"};
    }
    if (auto expires_text = headers.get("expires")) {
      // An invalid Expires (including "0") means already expired (RFC 9111 §5.3).
      auto expires = base::parse_http_date(*expires_text);
      if (!expires) return ExpiryDecision{true, now_s, "expires-invalid"};
      auto date_text = headers.get("date");
      auto date_value = date_text ? base::parse_http_date(*date_text) : std::nullopt;
      int64_t base = date_value ? date_value->time_since_epoch().count() : now_s;
      int64_t lifetime = expires->time_since_epoch().count() - base;
      return ExpiryDecision{true, now_s + std::max<int64_t>(0, lifetime - age), "expires"};
    }
  }
  auto expiry = profile_expiry(profile, now, default_time_zone);
  if (!expiry) return expiry.status();
  return ExpiryDecision{true, *expiry, profile.on_interval ? "interval" : "ttl"};
}

int64_t stale_extension(const Profile& profile, TimePoint now) {
  return to_unix_seconds(now) + profile.stale_on_error.count();
}

StaleDecision decide_stale_on_failure(const Profile& profile, const Headers& stored_headers,
                                      int64_t expires, TimePoint now) {
  const int64_t now_s = to_unix_seconds(now);
  const bool profile_allows = profile.stale_on_error.count() > 0;
  if (profile.override_origin_expiry) {
    return profile_allows ? StaleDecision{true, stale_extension(profile, now), "stale-on-error"}
                          : StaleDecision{false, expires, "stale-on-error disabled"};
  }
  auto cc_text = stored_headers.get_combined("cache-control");
  CacheControl cc = cc_text ? parse_cache_control(*cc_text) : CacheControl{};
  // RFC 9111 §5.2.2.2 / §5.2.2.4: never served stale, and never without a validation.
  if (cc.must_revalidate) return {false, expires, "must-revalidate"};
  if (cc.no_cache) return {false, expires, "no-cache"};
  if (profile_allows) return {true, stale_extension(profile, now), "stale-on-error"};
  if (cc.stale_if_error && now_s <= expires + *cc.stale_if_error) {
    return {true, expires, "stale-if-error"};  // RFC 5861 §4: within the window, not extended
  }
  return {false, expires, "stale-on-error disabled"};
}

int64_t background_refresh_until(const Profile& profile, const Headers& stored_headers,
                                 int64_t expires) {
  int64_t window = profile.stale_while_revalidate.count();
  if (!profile.override_origin_expiry) {
    auto cc_text = stored_headers.get_combined("cache-control");
    CacheControl cc = cc_text ? parse_cache_control(*cc_text) : CacheControl{};
    // Neither may be served stale without a validation, background or not.
    if (cc.must_revalidate || cc.no_cache) return expires;
    if (cc.stale_while_revalidate) window = *cc.stale_while_revalidate;
  }
  return window > 0 ? expires + window : expires;
}

VaryNames vary_names(const Headers& headers) {
  VaryNames out;
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "vary")) continue;
    size_t pos = 0;
    while (pos <= value.size()) {
      size_t comma = value.find(',', pos);
      if (comma == std::string::npos) comma = value.size();
      std::string_view item = std::string_view(value).substr(pos, comma - pos);
      item = base::trim(item);
      if (item == "*") {
        out.star = true;
      } else if (!item.empty()) {
        std::string lower = base::to_lower(item);
        if (std::find(out.names.begin(), out.names.end(), lower) == out.names.end()) {
          out.names.push_back(std::move(lower));
        }
      }
      pos = comma + 1;
    }
  }
  std::sort(out.names.begin(), out.names.end());
  return out;
}

int64_t negative_expiry(const Profile& profile, TimePoint now) {
  return to_unix_seconds(now) + profile.negative_ttl.count();
}

int64_t purge_time(int64_t expires, seconds purge_window) {
  return expires + purge_window.count();
}

}  // namespace cachedata::core
