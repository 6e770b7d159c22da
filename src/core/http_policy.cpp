#include "core/http_policy.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/strings.hpp"

namespace cachedata::core {
namespace {

// Response headers a 304 never updates in the stored answer (RFC 9111 §3.2): they describe
// the 304 message itself, not the stored representation.
bool describes_the_message(std::string_view name) {
  for (const char* own :
       {"content-length", "content-encoding", "content-range", "transfer-encoding", "connection",
        "keep-alive", "trailer", "upgrade", "proxy-connection", "te"}) {
    if (iequals(name, own)) return true;
  }
  return false;
}

bool names_contain(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return iequals(n, name); });
}

void take_validators(Entry& entry, const Headers& headers) {
  if (auto etag = headers.get("etag")) entry.etag = std::string(*etag);
  if (auto lm = headers.get("last-modified")) entry.last_modified = std::string(*lm);
}

}  // namespace

int64_t unix_millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Result<CachePolicy> CachePolicy::make(const Profile& profile, std::string_view default_time_zone,
                                      double jitter_fraction) {
  if (Status s = profile.validate(); !s) return s;
  if (!(jitter_fraction >= 0.0 && jitter_fraction < 1.0)) {
    return Status::invalid_argument("jitter fraction must be in [0, 1), got " +
                                    std::to_string(jitter_fraction));
  }
  return CachePolicy(profile, default_time_zone, jitter_fraction);
}

ExpiryDecision CachePolicy::jittered(ExpiryDecision decision) const {
  // Only the profile's own boundary: an origin's max-age or Expires is the origin's to give.
  if (std::string_view(decision.rule) != "interval") return decision;
  const auto spread = static_cast<double>(profile_->interval_jitter.count());
  decision.expires += static_cast<int64_t>(jitter_fraction_ * spread);
  return decision;
}

bool CachePolicy::refresh_early(int64_t expires, uint32_t fetch_ms, TimePoint now,
                                double uniform) const {
  const double beta = profile_->early_refresh_beta;
  if (beta <= 0.0 || !(uniform > 0.0 && uniform <= 1.0)) return false;
  // -ln(uniform) >= 0: an exponentially distributed head start, scaled by the fetch time.
  const double head_start_ms = -static_cast<double>(fetch_ms) * beta * std::log(uniform);
  return static_cast<double>(unix_millis(now)) + head_start_ms >=
         static_cast<double>(expires) * 1000.0;
}

bool CachePolicy::retains(std::string_view name) const {
  if (profile_->retain_headers.empty()) return true;
  // The cache's own rules need the validators, the freshness directives and Vary.
  return iequals(name, "etag") || iequals(name, "last-modified") || iequals(name, "content-type") ||
         iequals(name, "cache-control") || iequals(name, "expires") || iequals(name, "vary") ||
         names_contain(profile_->retain_headers, name);
}

Headers CachePolicy::retained(const Headers& origin) const {
  if (profile_->retain_headers.empty()) return origin;
  Headers kept;
  for (const auto& [name, value] : origin) {
    if (retains(name)) kept.add(name, value);
  }
  return kept;
}

Result<PolicyEntry> CachePolicy::answer(Response response, TimePoint now, uint32_t fetch_ms) const {
  auto decision =
      decide_expiry(*profile_, response.status_code, response.headers, now, default_time_zone_);
  if (!decision) return decision.status();
  decision = jittered(*decision);
  auto entry = std::make_shared<Entry>();
  entry->status_code = response.status_code;
  take_validators(*entry, response.headers);
  entry->headers = retained(response.headers);
  if (!response.body.empty()) {
    entry->body = std::make_shared<const std::string>(std::move(response.body));
  }
  entry->stored_at_ms = unix_millis(now);
  entry->expires = decision->expires;
  entry->fetch_ms = fetch_ms;
  return PolicyEntry{std::move(entry), *decision};
}

PolicyEntry CachePolicy::revalidated(const Entry& stored, const Headers& not_modified,
                                     TimePoint now) const {
  auto refreshed = std::make_shared<Entry>(stored);  // shares the body
  refreshed->headers.remove("date");
  refreshed->headers.remove("age");
  for (const auto& [name, value] : not_modified) {
    if (!describes_the_message(name) && retains(name)) refreshed->headers.remove(name);
  }
  for (const auto& [name, value] : not_modified) {
    if (!describes_the_message(name) && retains(name)) refreshed->headers.add(name, value);
  }
  take_validators(*refreshed, not_modified);
  refreshed->stored_at_ms = unix_millis(now);
  auto decision =
      decide_expiry(*profile_, refreshed->status_code, refreshed->headers, now, default_time_zone_);
  // make() validated the profile, so the expiry is computable; if it were not, the entry is
  // due now (served this once, revalidated next time).
  ExpiryDecision out =
      decision ? jittered(*decision) : ExpiryDecision{true, to_unix_seconds(now), "now"};
  refreshed->expires = out.expires;
  return PolicyEntry{std::move(refreshed), out};
}

std::vector<std::string> CachePolicy::unkeyed_vary(const Headers& answer_headers) const {
  std::vector<std::string> out;
  if (profile_->key_headers.empty()) return out;
  for (auto& name : vary_names(answer_headers).names) {
    if (!names_contain(profile_->key_headers, name)) out.push_back(std::move(name));
  }
  return out;
}

Profile CachePolicy::variant_profile(const std::vector<std::string>& names) const {
  Profile varied = *profile_;
  for (const auto& name : names) {
    if (!names_contain(varied.key_headers, name)) varied.key_headers.push_back(name);
  }
  return varied;
}

std::shared_ptr<Entry> CachePolicy::vary_pointer(const std::vector<std::string>& names,
                                                 int64_t stored_at_ms, int64_t expires) {
  std::string joined;
  for (const auto& n : names) {
    if (!joined.empty()) joined += ", ";
    joined += n;
  }
  auto pointer = std::make_shared<Entry>();
  pointer->kind = EntryKind::kVary;
  pointer->headers.add("vary", joined);
  pointer->stored_at_ms = stored_at_ms;
  pointer->expires = expires;
  return pointer;
}

StaleDecision CachePolicy::on_failure(const Headers& stored_headers, int64_t expires,
                                      TimePoint now) const {
  return decide_stale_on_failure(*profile_, stored_headers, expires, now);
}

int64_t CachePolicy::background_refresh_until(const Headers& stored_headers,
                                              int64_t expires) const {
  return core::background_refresh_until(*profile_, stored_headers, expires);
}

PolicyEntry CachePolicy::failure(int status_code, std::string why, TimePoint now,
                                 uint32_t fetch_ms) const {
  auto entry = std::make_shared<Entry>();
  entry->kind = EntryKind::kFailure;
  entry->status_code = status_code;
  entry->error = std::move(why);
  entry->stored_at_ms = unix_millis(now);
  entry->fetch_ms = fetch_ms;
  const int64_t expires = negative_expiry(*profile_, now);
  entry->expires = expires;  // the sealed head carries the entry's times, as every entry's
  return PolicyEntry{std::move(entry),
                     ExpiryDecision{remembers_failures(), expires, "negative_ttl"}};
}

}  // namespace cachedata::core
