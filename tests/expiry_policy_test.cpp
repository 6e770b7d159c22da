// The expiry policy, table-driven: TTL, clock-aligned intervals across DST changes, origin
// Cache-Control / Expires, overrides, negative TTL, stale extension, purge time.
#include <date/date.h>
#include <gtest/gtest.h>

#include <sstream>

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
  p.override_origin_expiry = true;
  EXPECT_EQ(background_refresh_until(p, must, 1000), 1030);  // only the profile counts
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
}

TEST(CacheControlTest, ParsesHttpDates) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")->time_since_epoch().count(),
            784111777);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT")->time_since_epoch().count(),
            784111777);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994")->time_since_epoch().count(), 784111777);
  EXPECT_FALSE(parse_http_date("0"));
  EXPECT_FALSE(parse_http_date("-1"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
  EXPECT_EQ(format_http_date(std::chrono::sys_seconds(seconds(784111777))),
            "Sun, 06 Nov 1994 08:49:37 GMT");
}

}  // namespace
}  // namespace cachedata::core
