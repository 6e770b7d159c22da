// HTTP caching semantics through Cache::get with the real HttpFetcher against the real local
// origin (tools/origin): one test per rule of RFC 9111 / RFC 5861 that the cache follows when
// the profile does not override the origin (docs/DESIGN.md, "Expiry"). Each test asserts the body,
// the status string and how many calls reached the origin (its per-route hit counter). The cache
// runs on a manual clock set to the real time, so the origin's Date headers stay meaningful.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "base/http_date.hpp"
#include "base/percent_encoding.hpp"
#include "cachedata/cache.hpp"
#include "cachedata/http_fetcher.hpp"
#include "core/cache_control.hpp"
#include "core/url.hpp"
#include "open/open_cache.hpp"
#include "support/origin_process.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

using std::chrono::seconds;
using testing::OriginProcess;

class HttpCachingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin = OriginProcess::start({"--default-delay-ms", "0"});
    const int64_t real_now =
        std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    clock.advance(seconds(real_now - clock.seconds()));
    profile.ttl = seconds(30);
    profile.stale_on_error = seconds(0);  // each test says what it allows
    open();
  }

  void open() {
    cache.reset();
    Config config;
    config.store_dir = dir.path() + "/store";
    config.clock = clock.fn();
    config.log_level = LogLevel::kOff;
    auto parts = wiring::open_cache_parts(config).value();
    store = parts.store;
    cache = Cache::open(config, std::move(parts)).value();
  }

  GetResult get(const std::string& path, std::vector<std::pair<std::string, std::string>> h = {}) {
    Request request = Request::get(origin.url(path));
    for (auto& [name, value] : h) request.headers.add(name, value);
    return cache->get(profile, request, recording);
  }

  Validators validators(size_t call) {
    std::lock_guard lock(mu);
    return call < seen.size() ? seen[call] : Validators{};
  }

  // The stored record of a request (head and body parts as the store holds them).
  std::optional<StoredRecord> stored(const std::string& path) {
    auto id = cache->id_of(profile, Request::get(origin.url(path)));
    return store->get(*id).value();
  }

  int64_t now() const { return clock.seconds(); }

  OriginProcess origin;
  testing::TempDir dir;
  testing::ManualClock clock;
  Profile profile;
  std::shared_ptr<Store> store;  // the one the cache was opened on
  std::unique_ptr<Cache> cache;
  // Retries are the fetcher's business (tests/http_fetcher_test.cpp): off here, so the hit
  // counts below are the cache's calls.
  HttpFetcher http{[] {
    HttpFetcherOptions o;
    o.retry.max_attempts = 1;
    return o;
  }()};
  std::mutex mu;
  std::vector<Validators> seen;
  Fetcher recording = [this](const Request& r, const Validators& v) {
    {
      std::lock_guard lock(mu);
      seen.push_back(v);
    }
    return http(r, v);
  };
};

int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

TEST_F(HttpCachingTest, MaxAgeWinsOverExpires) {
  const std::string path =
      "/resource/a?cache_control=max-age%3D60&expires=Thu,%2001%20Jan%202026%2000:00:00%20GMT";
  GetResult first = get(path);
  EXPECT_EQ(first.source_name(), "original");
  EXPECT_EQ(unix_seconds(first.expires()), now() + 60);
  clock.advance(seconds(59));
  EXPECT_EQ(get(path).source_name(), "cache:memory");
  clock.advance(seconds(2));
  EXPECT_EQ(get(path).source_name(), "original:cache-expired");
  EXPECT_EQ(origin.hits("/resource/a"), 2);
}

TEST_F(HttpCachingTest, ExpiresAloneCountsFromTheOriginsDate) {
  // An Expires 120 s after the origin's Date: fresh for 120 s of our clock.
  const auto expires = std::chrono::system_clock::now() + seconds(120);
  const std::string http_date =
      base::format_http_date(std::chrono::time_point_cast<seconds>(expires));
  const std::string path = "/resource/b?expires=" + base::percent_encode(http_date);
  GetResult first = get(path);
  EXPECT_NEAR(static_cast<double>(unix_seconds(first.expires())), static_cast<double>(now() + 120),
              2.0);
  clock.advance(seconds(100));
  EXPECT_EQ(get(path).source_name(), "cache:memory");
  EXPECT_EQ(origin.hits("/resource/b"), 1);
}

TEST_F(HttpCachingTest, InvalidOrZeroExpiresIsAlreadyExpired) {
  for (const char* value : {"0", "not-a-date", "-1"}) {
    SCOPED_TRACE(value);
    origin.reset();
    const std::string path = std::string("/resource/c?expires=") + value;
    EXPECT_EQ(get(path).source_name(), "original");
    GetResult again = get(path);
    EXPECT_EQ(again.source_name(), "original:cache-expired");
    EXPECT_EQ(origin.hits("/resource/c"), 2);
  }
}

TEST_F(HttpCachingTest, AgeIsSubtractedFromMaxAge) {
  GetResult r = get("/resource/d?cache_control=max-age%3D100&header_Age=40");
  EXPECT_EQ(unix_seconds(r.expires()), now() + 60);
}

TEST_F(HttpCachingTest, NoStoreAnswerIsReturnedButNeverStored) {
  const std::string path = "/resource/e?cache_control=no-store&marker=secret";
  GetResult first = get(path);
  EXPECT_EQ(first.source_name(), "original");
  EXPECT_NE(first.body().find("secret"), std::string::npos);
  EXPECT_FALSE(stored(path).has_value());
  EXPECT_EQ(get(path).source_name(), "original");
  EXPECT_EQ(origin.hits("/resource/e"), 2);
}

TEST_F(HttpCachingTest, NoCacheIsStoredButRevalidatedBeforeEveryUse) {
  const std::string path = "/resource/f?cache_control=no-cache&etag=%22v1%22";
  GetResult first = get(path);
  EXPECT_EQ(first.source_name(), "original");
  EXPECT_TRUE(stored(path).has_value());
  GetResult second = get(path);  // no time passed: still revalidated
  EXPECT_EQ(second.source_name(), "cache:original-not-modified");
  EXPECT_EQ(second.body(), first.body());
  EXPECT_EQ(validators(1).etag, "\"v1\"");
  EXPECT_EQ(origin.hits("/resource/f"), 2);
}

TEST_F(HttpCachingTest, MustRevalidateIsNeverServedStaleOnError) {
  profile.stale_on_error = seconds(300);  // the profile would allow it; the origin forbids it
  const std::string path = "/ok-then-fail/g?n=1&cache_control=max-age%3D1,%20must-revalidate";
  EXPECT_EQ(get(path).source_name(), "original");
  clock.advance(seconds(2));
  GetResult r = get(path);
  EXPECT_EQ(r.source_name(), "error:original");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(origin.hits("/ok-then-fail/g"), 2);
}

TEST_F(HttpCachingTest, StaleIfErrorServesTheStaleBodyWithinItsWindowOnly) {
  const std::string path = "/ok-then-fail/h?n=1&cache_control=max-age%3D1,%20stale-if-error%3D60";
  GetResult first = get(path);
  clock.advance(seconds(2));
  GetResult stale = get(path);  // the origin answers 503 now
  EXPECT_EQ(stale.source_name(), "error:cache");
  EXPECT_EQ(stale.body(), first.body());
  EXPECT_TRUE(stale.stale());
  EXPECT_EQ(origin.hits("/ok-then-fail/h"), 2);  // exactly one more origin call
  clock.advance(seconds(100));                   // past expiry + 60
  EXPECT_EQ(get(path).source_name(), "error:original");
  EXPECT_EQ(origin.hits("/ok-then-fail/h"), 3);
}

TEST_F(HttpCachingTest, StaleWhileRevalidateAnswersAtOnceAndRefreshesInTheBackground) {
  const std::string path = "/resource/i?cache_control=max-age%3D1,%20stale-while-revalidate%3D60";
  GetResult first = get(path);
  EXPECT_NE(first.body().find("\"hit\":1"), std::string::npos);
  clock.advance(seconds(2));
  GetResult stale = get(path);
  EXPECT_EQ(stale.source_name(), "cache");  // a stale memory entry is looked up in the store
  EXPECT_TRUE(stale.stale());
  EXPECT_EQ(stale.body(), first.body());
  // The refresh runs off the caller's thread: wait for its answer to be in the cache.
  GetResult refreshed = stale;
  for (int i = 0; i < 200 && refreshed.stale(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    refreshed = get(path);
  }
  EXPECT_FALSE(refreshed.stale());
  EXPECT_EQ(refreshed.source_name(), "cache:memory");
  EXPECT_NE(refreshed.body().find("\"hit\":2"), std::string::npos);
  EXPECT_EQ(origin.hits("/resource/i"), 2);
  EXPECT_EQ(cache->stats().background_refreshes, 1u);
  // Past the window the refresh happens before the answer.
  clock.advance(seconds(100));
  GetResult late = get(path);
  EXPECT_EQ(late.source_name(), "original:cache-expired");
  EXPECT_FALSE(late.stale());
  EXPECT_EQ(origin.hits("/resource/i"), 3);
}

TEST_F(HttpCachingTest, StaleWhileRevalidateNeverAppliesToMustRevalidate) {
  const std::string path =
      "/resource/j?cache_control=max-age%3D1,%20stale-while-revalidate%3D60,%20must-revalidate";
  get(path);
  clock.advance(seconds(2));
  GetResult r = get(path);
  EXPECT_EQ(r.source_name(), "original:cache-expired");
  EXPECT_FALSE(r.stale());
  EXPECT_EQ(origin.hits("/resource/j"), 2);
}

TEST_F(HttpCachingTest, ImmutableIsServedWhileFreshAndRevalidatedAfter) {
  const std::string path = "/resource/k?cache_control=max-age%3D60,%20immutable&etag=%22k%22";
  get(path);
  clock.advance(seconds(59));
  EXPECT_EQ(get(path).source_name(), "cache:memory");
  EXPECT_EQ(origin.hits("/resource/k"), 1);
  clock.advance(seconds(2));  // immutable does not extend the freshness lifetime
  EXPECT_EQ(get(path).source_name(), "cache:original-not-modified");
  EXPECT_EQ(origin.hits("/resource/k"), 2);
}

TEST_F(HttpCachingTest, NoHeuristicFreshnessTheProfileTtlApplies) {
  // Only Last-Modified (long ago): a heuristic cache would keep it for days; we use the ttl.
  GetResult r = get("/resource/l?last_modified=Sun,%2006%20Nov%201994%2008:49:37%20GMT");
  EXPECT_EQ(unix_seconds(r.expires()), now() + 30);
}

TEST_F(HttpCachingTest, VaryNamesRequestHeadersThatJoinTheId) {
  profile.key_headers = {"accept"};  // Accept-Language is not in the id by itself
  const std::string path = "/resource/m?cache_control=max-age%3D60&header_Vary=Accept-Language";
  GetResult en = get(path, {{"Accept-Language", "en"}});
  GetResult de = get(path, {{"Accept-Language", "de"}});
  EXPECT_EQ(en.source_name(), "original");
  EXPECT_EQ(de.source_name(), "original");  // never en's answer
  EXPECT_NE(en.body(), de.body());
  EXPECT_EQ(get(path, {{"Accept-Language", "en"}}).body(), en.body());
  EXPECT_EQ(get(path, {{"Accept-Language", "de"}}).body(), de.body());
  EXPECT_EQ(origin.hits("/resource/m"), 2);
  // From the store too (a new process: empty memory tier).
  open();
  GetResult en_again = get(path, {{"Accept-Language", "en"}});
  EXPECT_EQ(en_again.source_name(), "cache");
  EXPECT_EQ(en_again.body(), en.body());
  EXPECT_EQ(origin.hits("/resource/m"), 2);
}

TEST_F(HttpCachingTest, VaryStarIsNeverStored) {
  const std::string path = "/resource/n?cache_control=max-age%3D60&header_Vary=*";
  EXPECT_EQ(get(path).source_name(), "original");
  EXPECT_EQ(get(path).source_name(), "original");
  EXPECT_EQ(origin.hits("/resource/n"), 2);
}

TEST_F(HttpCachingTest, OnlyValidatorsTheOriginGaveAreSent) {
  const std::string lm = "Sun,%2006%20Nov%201994%2008:49:37%20GMT";
  const std::string path = "/resource/o?cache_control=max-age%3D1&last_modified=" + lm;
  get(path);
  clock.advance(seconds(2));
  GetResult r = get(path);
  EXPECT_EQ(validators(1).etag, "");  // never invented
  EXPECT_EQ(validators(1).last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(r.source_name(), "cache:original-not-modified");
  // Without any validator the expired entry is simply fetched again.
  get("/resource/p?cache_control=max-age%3D1");
  clock.advance(seconds(2));
  EXPECT_EQ(get("/resource/p?cache_control=max-age%3D1").source_name(), "original:cache-expired");
  EXPECT_TRUE(validators(3).empty());
}

TEST_F(HttpCachingTest, NotModifiedRefreshesHeadersAndExpiryButNotTheBody) {
  const std::string path = "/resource/q?cache_control=max-age%3D10&etag=%22q1%22&size=300000";
  GetResult first = get(path);
  EXPECT_EQ(first.headers().get("x-origin-hit"), "1");
  const StoredRecord before = *stored(path);
  clock.advance(seconds(11));
  GetResult revalidated = get(path);
  EXPECT_EQ(revalidated.source_name(), "cache:original-not-modified");
  EXPECT_EQ(revalidated.headers().get("x-origin-hit"), "2");  // the 304's headers
  EXPECT_EQ(unix_seconds(revalidated.expires()), now() + 10);
  EXPECT_EQ(revalidated.body(), first.body());
  const StoredRecord after = *stored(path);
  EXPECT_EQ(after.body, before.body);  // the 300 KB body part was not rewritten
  EXPECT_NE(after.head, before.head);
  EXPECT_EQ(after.expires, now() + 10);
  // A new process reads the refreshed head with the old body.
  open();
  GetResult reopened = get(path);
  EXPECT_EQ(reopened.source_name(), "cache");
  EXPECT_EQ(reopened.headers().get("x-origin-hit"), "2");
  EXPECT_EQ(reopened.body(), first.body());
  EXPECT_EQ(origin.hits("/resource/q"), 2);
}

TEST_F(HttpCachingTest, A200ReplacesTheExpiredEntry) {
  const std::string path = "/resource/r?cache_control=max-age%3D1";
  get(path);
  clock.advance(seconds(2));
  GetResult r = get(path);
  EXPECT_EQ(r.source_name(), "original:cache-expired");
  EXPECT_NE(r.body().find("\"hit\":2"), std::string::npos);
  open();
  GetResult from_store = get(path);
  EXPECT_EQ(from_store.source_name(), "cache");
  EXPECT_EQ(from_store.body(), r.body());
}

TEST_F(HttpCachingTest, RetainHeadersKeepsTheListedOnesAndTheValidators) {
  profile.retain_headers = {"X-Keep"};
  const std::string path =
      "/resource/s?cache_control=max-age%3D60&etag=%22s%22&header_X-Keep=1&header_X-Drop=1";
  GetResult r = get(path);
  EXPECT_EQ(r.headers().get("x-keep"), "1");
  EXPECT_EQ(r.headers().get("etag"), "\"s\"");
  EXPECT_FALSE(r.headers().get("x-drop").has_value());
  open();
  GetResult again = get(path);
  EXPECT_EQ(again.source_name(), "cache");
  EXPECT_EQ(again.headers().get("x-keep"), "1");
  EXPECT_FALSE(again.headers().get("x-drop").has_value());
}

}  // namespace
}  // namespace cachedata
