// The expiry policy, table-driven: TTL, clock-aligned intervals across DST changes, origin
// Cache-Control / Expires, overrides, negative TTL, stale extension, purge time.
#include <date/date.h>
#include <gtest/gtest.h>

#include <sstream>

#include "base/http_date.hpp"
#include "core/cache_control.hpp"
#include "core/expiry_policy.hpp"

namespace cachedata::core {
namespace {

using std::chrono::seconds;

int64_t utc(const std::string& iso) {
  std::istringstream in(iso);
  date::sys_seconds t;
  in >> date::parse("%FT%T", t);
  EXPECT_FALSE(in.fail()) << iso;
  return t.time_since_epoch().count();
}

TimePoint at(const std::string& iso) {
  return TimePoint(seconds(utc(iso)));
}

struct IntervalCase {
  const char* zone;
  int64_t interval;
  const char* now_utc;
  const char* expected_utc;
  const char* why;
};

TEST(ExpiryPolicyTest, IntervalBoundariesFollowTheWallClockAcrossDst) {
  const IntervalCase cases[] = {
      {"UTC", 900, "2026-01-15T12:07:30", "2026-01-15T12:15:00", "plain quarter hour"},
      {"UTC", 900, "2026-01-15T12:15:00", "2026-01-15T12:30:00", "strictly after now"},
      {"America/Chicago", 900, "2026-01-15T16:07:00", "2026-01-15T16:15:00", "CST quarter hour"},
      {"America/Chicago", 86400, "2026-01-15T16:07:00", "2026-01-16T06:00:00",
       "daily: next local midnight (CST = UTC-6)"},
      // New York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC).
      {"America/New_York", 900, "2026-03-08T06:50:00", "2026-03-08T07:00:00",
       "01:50 EST -> 03:00 EDT, ten minutes later"},
      {"America/New_York", 3600, "2026-03-08T06:30:00", "2026-03-08T07:00:00",
       "hourly over the gap"},
      {"America/New_York", 14400, "2026-03-08T06:00:00", "2026-03-08T08:00:00",
       "4-hourly: 01:00 EST -> 04:00 EDT is two real hours"},
      // New York, fall back 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC).
      {"America/New_York", 900, "2026-11-01T05:50:00", "2026-11-01T06:00:00",
       "01:50 EDT -> the clock shows 01:00 EST ten minutes later"},
      {"America/New_York", 3600, "2026-11-01T05:30:00", "2026-11-01T06:00:00",
       "hourly: 01:30 EDT -> 01:00 EST"},
      {"America/New_York", 3600, "2026-11-01T06:00:00", "2026-11-01T07:00:00",
       "hourly: 01:00 EST -> 02:00 EST"},
      {"America/New_York", 86400, "2026-10-31T16:00:00", "2026-11-01T04:00:00",
       "daily before the change: midnight EDT"},
      {"America/New_York", 86400, "2026-11-01T17:00:00", "2026-11-02T05:00:00",
       "daily on the 25-hour day: midnight EST"},
      // London, spring forward 2026-03-29 01:00 GMT -> 02:00 BST (01:00 UTC).
      {"Europe/London", 900, "2026-03-29T00:50:00", "2026-03-29T01:00:00",
       "00:50 GMT -> 02:00 BST"},
      {"Europe/London", 1800, "2026-03-29T00:40:00", "2026-03-29T01:00:00",
       "half-hourly over the gap"},
      // London, fall back 2026-10-25 02:00 BST -> 01:00 GMT (01:00 UTC).
      {"Europe/London", 900, "2026-10-25T00:50:00", "2026-10-25T01:00:00",
       "01:50 BST -> 01:00 GMT"},
      {"Europe/London", 21600, "2026-10-24T23:30:00", "2026-10-25T06:00:00",
       "6-hourly: 00:30 BST -> 06:00 GMT"},
      // An interval that does not divide a day: its slots restart at every local midnight.
      {"UTC", 25200, "2026-01-15T22:00:00", "2026-01-16T00:00:00",
       "7-hourly: the day's last slot (21:00) ends at midnight, not 04:00"},
      {"UTC", 25200, "2026-01-15T21:00:00", "2026-01-16T00:00:00",
       "7-hourly, exactly on the last boundary"},
      {"UTC", 25200, "2026-01-16T00:00:00", "2026-01-16T07:00:00", "7-hourly, from midnight"},
      {"UTC", 86400, "2026-01-15T23:59:59", "2026-01-16T00:00:00", "daily, one second before"},
      {"UTC", 1, "2026-01-15T12:00:00", "2026-01-15T12:00:01", "every second"},
      // A boundary of the old offset that the wall clock never shows: New York skips 02:00 EST
      // (07:00 UTC), so a 2-hourly slot begun at 00:00 ends at 04:00 EDT, not at the jump.
      {"America/New_York", 7200, "2026-03-08T06:30:00", "2026-03-08T08:00:00",
       "2-hourly over the gap: 02:00 EST never happens"},
      // The first slot after a fall-back starts at the change when the new wall clock shows a
      // boundary there (01:00 EST), and not one second later.
      {"America/New_York", 3600, "2026-11-01T05:59:59", "2026-11-01T06:00:00",
       "hourly, one second before the fall-back"},
  };
  for (const IntervalCase& c : cases) {
    SCOPED_TRACE(std::string(c.zone) + " " + c.now_utc + ": " + c.why);
    auto got = next_interval_boundary(at(c.now_utc), seconds(c.interval), c.zone);
    ASSERT_TRUE(got) << got.status().to_string();
    EXPECT_EQ(*got, utc(c.expected_utc));
  }
}

TEST(ExpiryPolicyTest, IntervalRejectsUnknownZonesAndBadLengths) {
  EXPECT_EQ(next_interval_boundary(at("2026-01-15T12:00:00"), seconds(900), "Mars/Olympus")
                .status()
                .code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(next_interval_boundary(at("2026-01-15T12:00:00"), seconds(0), "UTC"));
  EXPECT_FALSE(next_interval_boundary(at("2026-01-15T12:00:00"), seconds(86401), "UTC"));
  // The limits themselves are valid.
  EXPECT_TRUE(next_interval_boundary(at("2026-01-15T12:00:00"), seconds(1), "UTC"));
  EXPECT_TRUE(next_interval_boundary(at("2026-01-15T12:00:00"), seconds(86400), "UTC"));
}

TEST(ExpiryPolicyTest, TtlProfileExpiresTtlSecondsFromNow) {
  Profile p;
  p.ttl = seconds(45);
  const TimePoint now = at("2026-01-15T12:00:00");
  EXPECT_EQ(profile_expiry(p, now, "UTC").value(), utc("2026-01-15T12:00:45"));
  // Sub-second parts of now are dropped, never rounded up.
  EXPECT_EQ(profile_expiry(p, now + std::chrono::milliseconds(999), "UTC").value(),
            utc("2026-01-15T12:00:45"));
  p.on_interval = true;
  p.interval = seconds(900);
  p.time_zone = "Mars/Olympus";
  EXPECT_EQ(profile_expiry(p, now, "UTC").status().code(), Status::Code::kInvalidArgument);
  auto d = decide_expiry(p, 200, {}, now, "UTC");
  EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument);
}

struct DecisionCase {
  const char* name;
  Profile profile;
  int status;
  Headers headers;
  bool store;
  int64_t expires_in;  // seconds after now
  const char* rule;
};

TEST(ExpiryPolicyTest, DecisionTable) {
  const TimePoint now = at("2026-01-15T12:00:00");
  Profile ttl60;
  ttl60.ttl = seconds(60);
  Profile override60 = ttl60;
  override60.override_origin_expiry = true;
  Profile neg5 = ttl60;
  neg5.negative_ttl = seconds(5);
  Profile neg0 = ttl60;
  neg0.negative_ttl = seconds(0);
  Profile neg1 = ttl60;
  neg1.negative_ttl = seconds(1);
  const DecisionCase cases[] = {
      {"origin says nothing: profile ttl", ttl60, 200, {}, true, 60, "ttl"},
      {"max-age wins",
       ttl60,
       200,
       {{"Cache-Control", "public, max-age=600"}},
       true,
       600,
       "max-age"},
      {"max-age minus Age",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600"}, {"Age", "100"}},
       true,
       500,
       "max-age"},
      {"max-age over Expires",
       ttl60,
       200,
       {{"Cache-Control", "max-age=10"}, {"Expires", "Thu, 15 Jan 2026 13:00:00 GMT"}},
       true,
       10,
       "max-age"},
      {"Expires relative to Date",
       ttl60,
       200,
       {{"Date", "Thu, 15 Jan 2026 11:59:00 GMT"}, {"Expires", "Thu, 15 Jan 2026 12:09:00 GMT"}},
       true,
       600,
       "expires"},
      {"Expires 0 is already expired", ttl60, 200, {{"Expires", "0"}}, true, 0, "expires-invalid"},
      {"Expires in the past",
       ttl60,
       200,
       {{"Expires", "Thu, 01 Jan 2026 00:00:00 GMT"}},
       true,
       0,
       "expires"},
      {"no-store is not stored", ttl60, 200, {{"Cache-Control", "no-store"}}, false, 0, "no-store"},
      {"no-cache is stored but stale",
       ttl60,
       200,
       {{"Cache-Control", "no-cache"}},
       true,
       0,
       "no-cache"},
      {"override ignores max-age",
       override60,
       200,
       {{"Cache-Control", "max-age=600"}},
       true,
       60,
       "ttl"},
      {"override ignores no-store",
       override60,
       200,
       {{"Cache-Control", "no-store"}},
       true,
       60,
       "ttl"},
      {"404 uses the negative ttl",
       neg5,
       404,
       {{"Cache-Control", "max-age=600"}},
       true,
       5,
       "negative-ttl"},
      {"404 with negative ttl 0 is not stored", neg0, 404, {}, false, 0, "negative-ttl"},
      {"Vary: * is never stored", ttl60, 200, {{"Vary", "Accept, *"}}, false, 0, "vary-star"},
      {"Vary: * is not stored even when overridden",
       override60,
       200,
       {{"Vary", "*"}},
       false,
       0,
       "vary-star"},
      {"immutable does not extend max-age",
       ttl60,
       200,
       {{"Cache-Control", "max-age=30, immutable"}},
       true,
       30,
       "max-age"},
      {"400 is the first negative status", neg5, 400, {}, true, 5, "negative-ttl"},
      {"a negative ttl of 1 s is kept", neg1, 404, {}, true, 1, "negative-ttl"},
      {"Age past 2^31 counts as 2^31 against the largest max-age",
       ttl60,
       200,
       {{"Cache-Control", "max-age=99999999999"}, {"Age", "99999999999"}},
       true,
       0,
       "max-age"},
      {"Age past 2^31 counts as 2^31 against a far Expires",
       ttl60,
       200,
       {{"Date", "Thu, 15 Jan 2026 12:00:00 GMT"},
        {"Expires", "Fri, 01 Jan 2100 00:00:00 GMT"},
        {"Age", "99999999999"}},
       true,
       4102444800 - 1768478400 - 2147483648LL,
       "expires"},
      {"399 is not negative", ttl60, 399, {}, true, 60, "ttl"},
      {"Age that is not a number counts as 0",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600"}, {"Age", "abc"}},
       true,
       600,
       "max-age"},
      {"Age with trailing junk counts as 0, not its leading digits",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600"}, {"Age", "100x"}},
       true,
       600,
       "max-age"},
      {"negative Age counts as 0",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600"}, {"Age", "-100"}},
       true,
       600,
       "max-age"},
      {"Age of 9 is subtracted (digits at the edge of the range)",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600"}, {"Age", "9"}},
       true,
       591,
       "max-age"},
      {"Age of 0",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600"}, {"Age", "0"}},
       true,
       600,
       "max-age"},
      {"Age older than max-age: already expired, never negative",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600"}, {"Age", "700"}},
       true,
       0,
       "max-age"},
      {"Age is subtracted from an Expires lifetime too",
       ttl60,
       200,
       {{"Date", "Thu, 15 Jan 2026 12:00:00 GMT"},
        {"Expires", "Thu, 15 Jan 2026 12:10:00 GMT"},
        {"Age", "100"}},
       true,
       500,
       "expires"},
      {"Expires without Date: measured from now",
       ttl60,
       200,
       {{"Expires", "Thu, 15 Jan 2026 12:10:00 GMT"}},
       true,
       600,
       "expires"},
      {"Expires with an invalid Date: measured from now",
       ttl60,
       200,
       {{"Date", "yesterday"}, {"Expires", "Thu, 15 Jan 2026 12:10:00 GMT"}},
       true,
       600,
       "expires"},
      {"max-age=0 is stored, already stale",
       ttl60,
       200,
       {{"Cache-Control", "max-age=0"}},
       true,
       0,
       "max-age"},
      {"no-store beats max-age",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600, no-store"}},
       false,
       0,
       "no-store"},
      {"no-cache beats max-age",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600, no-cache"}},
       true,
       0,
       "no-cache"},
      {"Cache-Control split over two fields is read whole",
       ttl60,
       200,
       {{"Cache-Control", "max-age=600"}, {"Cache-Control", "no-store"}},
       false,
       0,
       "no-store"},
      {"override ignores Expires",
       override60,
       200,
       {{"Expires", "Thu, 15 Jan 2026 13:00:00 GMT"}},
       true,
       60,
       "ttl"},
      {"Last-Modified alone: no heuristic, the ttl",
       ttl60,
       200,
       {{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}},
       true,
       60,
       "ttl"},
  };
  for (const DecisionCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto d = decide_expiry(c.profile, c.status, c.headers, now, "UTC");
    ASSERT_TRUE(d) << d.status().to_string();
    EXPECT_EQ(d->store, c.store);
    if (c.store) {
      EXPECT_EQ(d->expires - to_unix_seconds(now), c.expires_in);
    }
    EXPECT_STREQ(d->rule, c.rule);
  }
}

TEST(ExpiryPolicyTest, IntervalProfileUsesItsZoneOrTheDefault) {
  Profile p;
  p.on_interval = true;
  p.interval = seconds(900);
  p.time_zone = "";
  auto d = decide_expiry(p, 200, {}, at("2026-01-15T12:07:30"), "America/Chicago");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->expires, utc("2026-01-15T12:15:00"));
  EXPECT_STREQ(d->rule, "interval");
  p.time_zone = "Asia/Kolkata";  // UTC+5:30: quarter hours still align, at :00 local
  p.interval = seconds(3600);
  auto k = decide_expiry(p, 200, {}, at("2026-01-15T12:07:30"), "UTC");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->expires, utc("2026-01-15T12:30:00"));
}

TEST(ExpiryPolicyTest, StaleNegativeAndPurgeTimes) {
  Profile p;
  p.stale_on_error = seconds(120);
  p.negative_ttl = seconds(7);
  const TimePoint now = at("2026-01-15T12:00:00");
  EXPECT_EQ(stale_extension(p, now), to_unix_seconds(now) + 120);
  EXPECT_EQ(negative_expiry(p, now), to_unix_seconds(now) + 7);
  EXPECT_EQ(purge_time(1000, seconds(86400)), 87400);
}

// The documented interpretation of every kind of malformed Cache-Control (cache_control.hpp).
struct CacheControlCase {
  const char* header;
  std::optional<int64_t> max_age;
  std::optional<int64_t> stale_if_error;
  std::optional<int64_t> stale_while_revalidate;
  bool no_store, no_cache, must_revalidate, immutable;
};

TEST(CacheControlTest, ParsingTable) {
  const std::optional<int64_t> none;
  const CacheControlCase cases[] = {
      {"", none, none, none, false, false, false, false},
      {",,, ,", none, none, none, false, false, false, false},
      {"max-age=60", 60, none, none, false, false, false, false},
      {"MAX-AGE=60, No-Store", 60, none, none, true, false, false, false},  // names: any case
      {"max-age=\"60\"", 60, none, none, false, false, false, false},       // quoted value
      {"max-age=abc", 0, none, none, false, false, false, false},           // bad number: stale
      {"max-age=-5", 0, none, none, false, false, false, false},
      {"max-age=", 0, none, none, false, false, false, false},
      {"max-age", 0, none, none, false, false, false, false},  // no value at all
      {"max-age=1.5", 0, none, none, false, false, false, false},
      {"max-age=60, max-age=30", 30, none, none, false, false, false, false},  // most restrictive
      {"max-age=30, max-age=abc", 0, none, none, false, false, false, false},
      {"max-age=99999999999999999999", 2147483648LL, none, none, false, false, false, false},
      {"unknown=1, x, max-age=5", 5, none, none, false, false, false, false},  // unknown ignored
      {"private=\"a, b\", no-store", none, none, none, true, false, false,
       false},  // comma in quotes
      {"no-cache=\"set-cookie\"", none, none, none, false, true, false, false},
      {"stale-if-error=30, stale-while-revalidate=60", none, 30, 60, false, false, false, false},
      {"stale-if-error=x", none, none, none, false, false, false, false},  // bad: no window
      {"must-revalidate, immutable", none, none, none, false, false, true, true},
      {"max-age=10 , must-revalidate", 10, none, none, false, false, true, false},
      {"must-revalidate ;", none, none, none, false, false, false, false},  // junk: unknown
      {"\"max-age=10\"", none, none, none, false, false, false, false},     // a quoted directive
      {"max-age=\"10", 0, none, none, false, false, false, false},          // unterminated quote
      {"stale-if-error=", none, none, none, false, false, false, false},    // empty: no window
      {"\"a,b\", max-age=5", 5, none, none, false, false, false, false},    // quoted from byte 0
      {"private=\"a, max-age=7\"", none, none, none, false, false, false, false},  // in quotes
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.header);
    CacheControl cc = parse_cache_control(c.header);
    EXPECT_EQ(cc.max_age, c.max_age);
    EXPECT_EQ(cc.stale_if_error, c.stale_if_error);
    EXPECT_EQ(cc.stale_while_revalidate, c.stale_while_revalidate);
    EXPECT_EQ(cc.no_store, c.no_store);
    EXPECT_EQ(cc.no_cache, c.no_cache);
    EXPECT_EQ(cc.must_revalidate, c.must_revalidate);
    EXPECT_EQ(cc.immutable, c.immutable);
  }
}

struct StaleCase {
  const char* name;
  Profile profile;
  const char* cache_control;  // of the stored answer; nullptr: none
  int64_t now_after_expiry;   // seconds
  bool serve;
  int64_t expires_after_expiry;  // what the entry's expiry becomes (relative to the old one)
  const char* rule;
};

TEST(ExpiryPolicyTest, StaleOnFailureTable) {
  Profile off;  // stale_on_error 0: the profile does not allow it
  off.stale_on_error = seconds(0);
  Profile on = off;
  on.stale_on_error = seconds(300);
  Profile one_second = off;
  one_second.stale_on_error = seconds(1);
  Profile on_override = on;
  on_override.override_origin_expiry = true;
  Profile off_override = off;
  off_override.override_origin_expiry = true;
  const int64_t expires = utc("2026-01-15T12:00:00");
  const StaleCase cases[] = {
      {"profile allows: extended from now", on, nullptr, 50, true, 50 + 300, "stale-on-error"},
      {"a 1 s extension is an extension", one_second, nullptr, 50, true, 50 + 1, "stale-on-error"},
      {"profile does not, origin says nothing", off, nullptr, 50, false, 0,
       "stale-on-error disabled"},
      {"must-revalidate: never stale", on, "max-age=60, must-revalidate", 1, false, 0,
       "must-revalidate"},
      {"no-cache: never stale", on, "no-cache", 1, false, 0, "no-cache"},
      {"override: the profile alone decides", on_override, "must-revalidate", 1, true, 1 + 300,
       "stale-on-error"},
      {"override and the profile does not allow it", off_override, "stale-if-error=600", 1, false,
       0, "stale-on-error disabled"},
      {"stale-if-error window, inside", off, "max-age=60, stale-if-error=100", 50, true, 0,
       "stale-if-error"},
      {"stale-if-error window, its last second", off, "max-age=60, stale-if-error=100", 100, true,
       0, "stale-if-error"},
      {"stale-if-error window, one second past", off, "max-age=60, stale-if-error=100", 101, false,
       0, "stale-on-error disabled"},
      {"stale-if-error=0: only at the expiry itself", off, "stale-if-error=0", 0, true, 0,
       "stale-if-error"},
      {"the profile's extension wins over a stale-if-error window", on, "stale-if-error=100", 50,
       true, 50 + 300, "stale-on-error"},
  };
  for (const StaleCase& c : cases) {
    SCOPED_TRACE(c.name);
    Headers stored;
    if (c.cache_control) stored.add("Cache-Control", c.cache_control);
    const TimePoint now = TimePoint(seconds(expires + c.now_after_expiry));
    StaleDecision d = decide_stale_on_failure(c.profile, stored, expires, now);
    EXPECT_EQ(d.serve, c.serve);
    EXPECT_STREQ(d.rule, c.rule);
    EXPECT_EQ(d.expires - expires, c.serve ? c.expires_after_expiry : 0);
  }
}

TEST(ExpiryPolicyTest, BackgroundRefreshWindow) {
  Profile p;
  Headers swr;
  swr.add("Cache-Control", "max-age=1, stale-while-revalidate=60");
  EXPECT_EQ(background_refresh_until(p, swr, 1000), 1060);
  EXPECT_EQ(background_refresh_until(p, {}, 1000), 1000);  // no window by default
  p.stale_while_revalidate = seconds(30);
  EXPECT_EQ(background_refresh_until(p, {}, 1000), 1030);
  EXPECT_EQ(background_refresh_until(p, swr, 1000), 1060);  // the origin's value wins
  Headers must;
  must.add("Cache-Control", "max-age=1, stale-while-revalidate=60, must-revalidate");
  EXPECT_EQ(background_refresh_until(p, must, 1000), 1000);
  Headers no_cache;
  no_cache.add("Cache-Control", "no-cache");
  EXPECT_EQ(background_refresh_until(p, no_cache, 1000), 1000);
  Headers swr0;
  swr0.add("Cache-Control", "max-age=1, stale-while-revalidate=0");
  EXPECT_EQ(background_refresh_until(p, swr0, 1000), 1000);  // the origin's 0 wins too
  p.override_origin_expiry = true;
  EXPECT_EQ(background_refresh_until(p, must, 1000), 1030);  // only the profile counts
  EXPECT_EQ(background_refresh_until(p, swr, 1000), 1030);
  p.stale_while_revalidate = seconds(1);
  EXPECT_EQ(background_refresh_until(p, {}, 1000), 1001);  // the shortest window
  p.stale_while_revalidate = seconds(-5);                  // a negative window is no window
  EXPECT_EQ(background_refresh_until(p, {}, 1000), 1000);
}

TEST(ExpiryPolicyTest, VaryNamesAreLowercaseSortedAndUnique) {
  Headers h;
  h.add("Vary", "Accept-Language, accept");
  h.add("vary", " ACCEPT ,X-Tenant,,");
  auto v = vary_names(h);
  EXPECT_EQ(v.names, (std::vector<std::string>{"accept", "accept-language", "x-tenant"}));
  EXPECT_FALSE(v.star);
  Headers star;
  star.add("Vary", "Accept, *");
  EXPECT_TRUE(vary_names(star).star);
  EXPECT_TRUE(vary_names({}).names.empty());
  // Only Vary fields count; a lone name, tabs around it, and an empty field.
  Headers other;
  other.add("X-Vary", "Accept");
  other.add("Vary", "\tX-Tenant\t");
  other.add("Vary", "");
  EXPECT_EQ(vary_names(other).names, (std::vector<std::string>{"x-tenant"}));
  Headers only_star;
  only_star.add("Vary", "*");
  EXPECT_TRUE(vary_names(only_star).star);
  EXPECT_TRUE(vary_names(only_star).names.empty());
  Headers star_last;
  star_last.add("Vary", "Accept,*");
  EXPECT_TRUE(vary_names(star_last).star);
  EXPECT_EQ(vary_names(star_last).names, (std::vector<std::string>{"accept"}));
}

TEST(CacheControlTest, ParsesEveryDirectiveAndTheLimitsOfItsValue) {
  CacheControl all = parse_cache_control(
      "\ts-maxage=5\t, proxy-revalidate, private, public, immutable, no-cache, no-store, "
      "must-revalidate");
  EXPECT_EQ(all.s_maxage, 5);
  EXPECT_TRUE(all.proxy_revalidate);
  EXPECT_TRUE(all.is_private);
  EXPECT_TRUE(all.is_public);
  EXPECT_TRUE(all.immutable);
  EXPECT_TRUE(all.no_cache);
  EXPECT_TRUE(all.no_store);
  EXPECT_TRUE(all.must_revalidate);
  CacheControl none = parse_cache_control("max-age=1");
  EXPECT_FALSE(none.s_maxage.has_value());
  EXPECT_FALSE(none.proxy_revalidate || none.is_private || none.is_public || none.immutable ||
               none.no_cache || none.no_store || none.must_revalidate);
  EXPECT_EQ(parse_cache_control("s-maxage=x").s_maxage, 0);  // invalid: stale, as max-age
  EXPECT_EQ(parse_cache_control("s-maxage=9, s-maxage=4").s_maxage, 4);
  // Delta-seconds are capped at 2^31 (RFC 9111 §1.2.2), exactly there and above.
  EXPECT_EQ(parse_cache_control("max-age=2147483647").max_age, 2147483647);
  EXPECT_EQ(parse_cache_control("max-age=2147483648").max_age, 2147483648LL);
  EXPECT_EQ(parse_cache_control("max-age=2147483649").max_age, 2147483648LL);
  EXPECT_EQ(parse_cache_control("stale-if-error=0").stale_if_error, 0);
  EXPECT_EQ(parse_cache_control("stale-while-revalidate=9, stale-while-revalidate=3")
                .stale_while_revalidate,
            3);
  EXPECT_EQ(parse_cache_control("stale-if-error=\"7\"").stale_if_error, 7);
  EXPECT_EQ(parse_cache_control("max-age=09").max_age, 9);
  EXPECT_EQ(parse_cache_control("max-age=/").max_age, 0);  // the characters around the digits
  EXPECT_EQ(parse_cache_control("max-age=:").max_age, 0);
  EXPECT_EQ(parse_cache_control("no-store=\"a,b\", max-age=3").max_age, 3);
}

TEST(CacheControlTest, ParsesHttpDates) {
  EXPECT_EQ(base::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")->time_since_epoch().count(),
            784111777);
  EXPECT_EQ(base::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT")->time_since_epoch().count(),
            784111777);
  EXPECT_EQ(base::parse_http_date("Sun Nov  6 08:49:37 1994")->time_since_epoch().count(),
            784111777);
  EXPECT_FALSE(base::parse_http_date("0"));
  EXPECT_FALSE(base::parse_http_date("-1"));
  EXPECT_FALSE(base::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
  // Whitespace around the value is not part of it.
  EXPECT_EQ(
      base::parse_http_date(" \tSun, 06 Nov 1994 08:49:37 GMT \t")->time_since_epoch().count(),
      784111777);
  EXPECT_FALSE(base::parse_http_date(""));
  EXPECT_EQ(base::format_http_date(std::chrono::sys_seconds(seconds(784111777))),
            "Sun, 06 Nov 1994 08:49:37 GMT");
}

}  // namespace
}  // namespace cachedata::core
