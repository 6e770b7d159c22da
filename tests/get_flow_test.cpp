// The get flow, one test per row of the state table in docs/DESIGN.md, with a fetcher that
// counts its calls and a clock the test moves. Every row runs on each store a Cache sits on,
// with the memory tier in front as in production: the memory store (the reference), the
// embedded local store, and the shared store on DynamoDB Local + s3rver, once with bodies inline
// in the items and once with a tiny inline limit so that every body goes through S3. Each
// shared-store test makes its own table and bucket; without the servers those variants skip
// (fail under CI=true), see support/aws_test_servers.hpp.
#include <gtest/gtest.h>

#include <thread>

#include "base/http_date.hpp"
#include "cachedata/cache.hpp"
#include "core/cache_control.hpp"
#include "open/open_cache.hpp"
#include "support/get_flow_fixture.hpp"

namespace cachedata {
namespace {

using std::chrono::seconds;
using testing::ok_response;

using testing::FlowStore;
using testing::GetFlowTest;
using testing::test_name_suffix;

INSTANTIATE_TEST_SUITE_P(Stores, GetFlowTest, testing::kAllFlowStores, test_name_suffix);

TEST_P(GetFlowTest, MissCallsTheSourceAndStores) {
  answer_versions();
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kOriginal);
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(r.status_code(), 200);
  EXPECT_EQ(r.headers().get("x-cprxy-data-source"), "original");
  EXPECT_EQ(r.expires(), clock.now() + seconds(60));
  EXPECT_EQ(origin.calls, 1);
  EXPECT_TRUE(origin.seen_validators[0].empty());
  EXPECT_EQ(record().expires, clock.seconds() + 60);
  EXPECT_EQ(record().purge_at, clock.seconds() + 60 + 86400);  // expiry + purge window
  expect_body_where_the_inline_limit_puts_it();
}

TEST_P(GetFlowTest, FreshEntryInMemoryIsServedFromMemory) {
  answer_versions();
  get();
  clock.advance(seconds(59));
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCacheMemory);
  EXPECT_EQ(r.headers().get("x-cprxy-data-source"), "cache:memory");
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(origin.calls, 1);
}

TEST_P(GetFlowTest, FreshEntryInStoreIsServedFromStore) {
  answer_versions();
  get();
  reopen();
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCache);
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(r.headers().get("content-type"), "text/plain");
  EXPECT_EQ(origin.calls, 1);
  // ...and the store hit filled the memory tier.
  EXPECT_EQ(get().source(), DataSource::kCacheMemory);
}

TEST_P(GetFlowTest, ExpiredEntryIsRevalidatedAndReplacedOn200) {
  answer_versions();
  get();
  clock.advance(seconds(61));
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kOriginalCacheExpired);
  EXPECT_EQ(r.body(), "body v2");
  EXPECT_EQ(origin.calls, 2);
  EXPECT_EQ(origin.seen_validators[1].etag, "\"v1\"");
  reopen();
  EXPECT_EQ(get().body(), "body v2");
}

// Row 4b: within the stale-while-revalidate window the stale answer is served at once and one
// refresh runs off the caller's thread; its answer replaces the entry in the store.
TEST_P(GetFlowTest, StaleWhileRevalidateServesTheStaleAnswerAndRefreshesInTheBackground) {
  profile.stale_while_revalidate = seconds(30);
  answer_versions();
  get();
  clock.advance(seconds(61));
  GetResult stale = get();
  EXPECT_EQ(stale.source(), DataSource::kCache);  // a stale memory entry is looked up in the store
  EXPECT_TRUE(stale.stale());
  EXPECT_EQ(stale.body(), "body v1");
  // Wait for the refresh to call the origin; closing the Cache then waits for it to finish.
  for (int i = 0; i < 400 && origin.calls < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(origin.calls, 2);
  EXPECT_EQ(cache->stats().background_refreshes, 1u);
  reopen();
  GetResult refreshed = get();
  EXPECT_EQ(refreshed.source(), DataSource::kCache);
  EXPECT_FALSE(refreshed.stale());
  EXPECT_EQ(refreshed.body(), "body v2");
  EXPECT_EQ(record().expires, clock.seconds() + 60);
  EXPECT_EQ(origin.calls, 2);
}

// Row 3, second case: an entry that fails to open (here a flipped bit in its sealed head) is
// counted as corrupt and treated as nothing found; the new answer replaces it.
TEST_P(GetFlowTest, EntryThatFailsToOpenIsCountedAsCorruptAndReplaced) {
  answer_versions();
  get();
  StoredRecord damaged = record();
  damaged.head[damaged.head.size() / 2] ^= 0x01;
  ASSERT_TRUE(store->put(damaged));
  reopen();
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kOriginal);
  EXPECT_EQ(r.body(), "body v2");
  EXPECT_EQ(cache->stats().corrupt_entries, 1u);
  EXPECT_EQ(origin.calls, 2);
  reopen();
  GetResult again = get();
  EXPECT_EQ(again.source(), DataSource::kCache);
  EXPECT_EQ(again.body(), "body v2");
}

TEST_P(GetFlowTest, NotModifiedExtendsTheEntryWithoutRewritingItsBody) {
  answer_versions();
  get();
  std::string body_before = record().body;
  std::string head_before = record().head;
  int writes_before = store->writes;
  const std::string etag_before = s3_etag();
  clock.advance(seconds(61));
  origin.respond = [](const Request&, const Validators& v) {
    Response r;
    r.status_code = v.etag == "\"v1\"" ? 304 : 500;
    return r;
  };
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(r.status_code(), 200);
  EXPECT_EQ(r.expires(), clock.now() + seconds(60));
  EXPECT_EQ(origin.calls, 2);
  EXPECT_EQ(store->writes, writes_before);  // no put: only a new head
  EXPECT_EQ(store->head_replacements, 1);
  EXPECT_EQ(record().body, body_before);
  EXPECT_NE(record().head, head_before);
  EXPECT_EQ(record().expires, clock.seconds() + 60);
  EXPECT_EQ(s3_etag(), etag_before);  // the S3 object (aws-s3) is not written again
  reopen();
  EXPECT_EQ(get().source(), DataSource::kCache);
}

TEST_P(GetFlowTest, SourceFailureServesTheStaleEntryAndExtendsIt) {
  answer_versions();
  get();
  clock.advance(seconds(61));
  origin.respond = [](const Request&, const Validators&) { return Response::failure("timeout"); };
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorCache);
  EXPECT_EQ(r.headers().get("x-cprxy-data-source"), "error:cache");
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(r.error(), "timeout");
  EXPECT_EQ(r.expires(), clock.now() + seconds(30));
  EXPECT_EQ(record().expires, clock.seconds() + 30);
  EXPECT_EQ(origin.calls, 2);
  // Extended in place: one touch of the stored entry, never a second write of its parts.
  EXPECT_EQ(store->touches, 1);
  EXPECT_EQ(store->writes, 1);
  // Within the extension the stale entry is fresh again: no more calls.
  clock.advance(seconds(10));
  EXPECT_EQ(get().source(), DataSource::kCacheMemory);
  EXPECT_EQ(origin.calls, 2);
}

// Another process purges the entry while this get serves its stale copy: the extension finds
// nothing to touch and leaves it purged (the purge wins; the next get asks the origin).
TEST_P(GetFlowTest, AnEntryPurgedWhileItsStaleCopyIsServedStaysPurged) {
  answer_versions();
  get();
  reopen();  // an empty memory tier: the stale copy comes from the store
  clock.advance(seconds(61));
  origin.respond = [](const Request&, const Validators&) { return Response::failure("timeout"); };
  store->erase_before_touch = true;
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorCache);
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(store->touches, 1);
  EXPECT_EQ(store->writes, 1) << "the purged entry was written back";
  EXPECT_FALSE(store->get(id()).value().has_value());
}

TEST_P(GetFlowTest, Origin5xxCountsAsAFailure) {
  answer_versions();
  get();
  clock.advance(seconds(61));
  origin.respond = [](const Request&, const Validators&) {
    Response r;
    r.status_code = 503;
    r.body = "maintenance";
    return r;
  };
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorCache);
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(r.error(), "origin answered 503");
}

TEST_P(GetFlowTest, SourceFailureWithoutStaleServingReturnsTheError) {
  profile.stale_on_error = seconds(0);
  answer_versions();
  get();
  clock.advance(seconds(61));
  origin.respond = [](const Request&, const Validators&) { return Response::failure("refused"); };
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "refused");
  // The stale answer is kept for a later revalidation, not replaced by the failure.
  answer_versions();
  EXPECT_EQ(get().source(), DataSource::kOriginalCacheExpired);
  EXPECT_EQ(origin.seen_validators.back().etag, "\"v1\"");
}

TEST_P(GetFlowTest, FailureOnAMissIsRememberedForTheNegativeTtl) {
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  GetResult first = get();
  EXPECT_EQ(first.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(first.error(), "down");
  clock.advance(seconds(4));
  GetResult second = get();
  EXPECT_EQ(second.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(second.error(), "down");
  EXPECT_EQ(origin.calls, 1);
  EXPECT_EQ(cache->stats().negative_hits, 1u);
  clock.advance(seconds(2));
  answer_versions();
  GetResult third = get();
  EXPECT_EQ(third.source(), DataSource::kOriginalCacheExpired);
  EXPECT_EQ(third.body(), "body v1");
  EXPECT_EQ(origin.calls, 2);
}

TEST_P(GetFlowTest, NegativeTtlZeroRemembersNothing) {
  profile.negative_ttl = seconds(0);
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  get();
  get();
  EXPECT_EQ(origin.calls, 2);
  EXPECT_FALSE(store->get(id()).value().has_value());
}

TEST_P(GetFlowTest, ForceRefreshCallsTheSourceAndReplacesAFreshEntry) {
  answer_versions();
  get();
  Request forced = request;
  forced.force_refresh = true;
  GetResult r = get(forced);
  EXPECT_EQ(r.source(), DataSource::kOriginalCacheUpdateForced);
  EXPECT_EQ(r.headers().get("x-cprxy-data-source"), "original:cache-update-forced");
  EXPECT_EQ(r.body(), "body v2");
  EXPECT_TRUE(origin.seen_validators[1].empty());  // a forced refresh wants the whole answer
  EXPECT_EQ(get().body(), "body v2");
  EXPECT_EQ(origin.calls, 2);
}

TEST_P(GetFlowTest, FetcherThatThrowsIsASourceFailure) {
  origin.respond = [](const Request&, const Validators&) -> Response {
    throw std::runtime_error("boom");
  };
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_NE(r.error().find("boom"), std::string::npos);
}

TEST_P(GetFlowTest, NoStoreAnswerIsReturnedButNotKept) {
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("private", {{"Cache-Control", "no-store"}});
  };
  EXPECT_EQ(get().source(), DataSource::kOriginal);
  EXPECT_EQ(get().source(), DataSource::kOriginal);
  EXPECT_EQ(origin.calls, 2);
  EXPECT_EQ(cache->stats().not_stored, 2u);
}

TEST_P(GetFlowTest, ClientErrorIsStoredForTheNegativeTtlOnly) {
  origin.respond = [](const Request&, const Validators&) {
    Response r;
    r.status_code = 404;
    r.body = "not found";
    return r;
  };
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kOriginal);
  EXPECT_EQ(r.status_code(), 404);
  EXPECT_EQ(get().source(), DataSource::kCacheMemory);
  clock.advance(seconds(6));
  get();
  EXPECT_EQ(origin.calls, 2);
}

TEST_P(GetFlowTest, InvalidProfileIsRejectedWithoutCallingTheSource) {
  answer_versions();
  profile.on_interval = true;
  profile.time_zone = "Nowhere/Special";
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_NE(r.error().find("profile.time_zone"), std::string::npos);
  EXPECT_TRUE(r.rejected()) << "a usage error, not a source failure";
  EXPECT_EQ(origin.calls, 0);
}

// Before, the profile was checked on a miss only, so a fresh entry was served with any profile.
TEST_P(GetFlowTest, AnInvalidProfileIsNeverServedFromAFreshEntry) {
  answer_versions();
  ASSERT_EQ(get().source(), DataSource::kOriginal);
  for (bool drop_memory : {false, true}) {
    if (drop_memory) reopen();  // the entry comes from the store, not the memory tier
    Profile invalid = profile;
    invalid.ttl = seconds(-1);
    GetResult r = cache->get(invalid, request, origin.fetcher());
    EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
    EXPECT_TRUE(r.rejected());
    EXPECT_NE(r.error().find("profile.ttl"), std::string::npos) << r.error();
    EXPECT_TRUE(r.body().empty());
  }
  EXPECT_EQ(origin.calls, 1);
  EXPECT_EQ(get().source(), DataSource::kCache) << "the entry is still there for a valid profile";
}

TEST_P(GetFlowTest, ASourceFailureIsNotARejection) {
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_FALSE(r.rejected());
  EXPECT_EQ(origin.calls, 1);
}

TEST_P(GetFlowTest, RetainsOnlyTheListedHeadersPlusValidators) {
  profile.retain_headers = {"X-Rate-Limit"};
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("x", {{"Content-Type", "text/plain"},
                             {"ETag", "\"e\""},
                             {"Set-Cookie", "session=secret"},
                             {"x-rate-limit", "10"}});
  };
  get();
  reopen();
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCache);
  EXPECT_EQ(r.headers().get("x-rate-limit"), "10");
  EXPECT_EQ(r.headers().get("etag"), "\"e\"");
  EXPECT_EQ(r.headers().get("content-type"), "text/plain");
  EXPECT_FALSE(r.headers().contains("set-cookie"));
}

TEST_P(GetFlowTest, EntriesWrittenUnderThePreviousKeyStillServeAfterRotation) {
  answer_versions();
  get();
  DataKey old_key = key;
  DataKey new_key = DataKey::generate();
  open({new_key, old_key});
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCache);
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(origin.calls, 1);
  // Without the old key the entry is out of reach: a miss, never a wrong answer.
  open({new_key});
  EXPECT_EQ(get().source(), DataSource::kOriginal);
}

TEST_P(GetFlowTest, IntervalProfileExpiresOnTheBoundary) {
  answer_versions();
  profile.on_interval = true;
  profile.interval = seconds(900);
  profile.time_zone = "America/Chicago";
  GetResult r = get();  // 2026-01-15T12:00:00Z = 06:00 CST: a boundary, so the next is 06:15
  EXPECT_EQ(r.expires(), clock.now() + seconds(900));
  clock.advance(seconds(899));
  EXPECT_EQ(get().source(), DataSource::kCacheMemory);
  clock.advance(seconds(1));
  EXPECT_EQ(get().source(), DataSource::kOriginalCacheExpired);
}

TEST(MemoryOnlyModeTest, NeedsNoStoreAndNoKey) {
  Config config;
  config.store = Config::StoreKind::kMemoryOnly;
  EXPECT_EQ(wiring::open_cache_parts(config).value().store, nullptr);
  auto cache = Cache::open(config);
  ASSERT_TRUE(cache) << cache.status().to_string();
  testing::CountingFetcher origin;
  origin.respond = [](const Request&, const Validators&) { return ok_response("m"); };
  Request r = Request::get("https://api.example.com/m");
  EXPECT_EQ((*cache)->get(Profile{}, r, origin.fetcher()).source(), DataSource::kOriginal);
  EXPECT_EQ((*cache)->get(Profile{}, r, origin.fetcher()).source(), DataSource::kCacheMemory);
  EXPECT_EQ(origin.calls, 1);
}

}  // namespace
}  // namespace cachedata

namespace cachedata {
namespace {

class StaleRulesTest : public GetFlowTest {
 protected:
  void cache_with(const std::string& cache_control) {
    origin.respond = [cache_control](const Request&, const Validators&) {
      return ok_response("first", {{"Cache-Control", cache_control}});
    };
    ASSERT_EQ(get().source(), DataSource::kOriginal);
    origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, StaleRulesTest, testing::kAllFlowStores, test_name_suffix);

TEST_P(StaleRulesTest, MustRevalidateIsNeverServedStale) {
  cache_with("max-age=10, must-revalidate");
  clock.advance(seconds(11));
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(r.error(), "down");
}

TEST_P(StaleRulesTest, NoCacheIsNeverServedWithoutValidation) {
  cache_with("no-cache");
  EXPECT_EQ(get().source(), DataSource::kErrorOriginal);
  EXPECT_EQ(origin.calls, 2);
}

TEST_P(StaleRulesTest, OverrideOriginExpiryIgnoresMustRevalidate) {
  profile.override_origin_expiry = true;
  cache_with("max-age=10, must-revalidate");
  clock.advance(seconds(61));
  EXPECT_EQ(get().source(), DataSource::kErrorCache);
}

TEST_P(StaleRulesTest, StaleIfErrorWindowServesStaleWithoutTheProfileExtension) {
  profile.stale_on_error = seconds(0);
  cache_with("max-age=1, stale-if-error=60");
  clock.advance(seconds(30));
  GetResult within = get();
  EXPECT_EQ(within.source(), DataSource::kErrorCache);
  EXPECT_EQ(within.body(), "first");
  EXPECT_EQ(origin.calls, 2);
  // Not extended: the next call asks the source again, and past the window gets the error.
  EXPECT_EQ(get().source(), DataSource::kErrorCache);
  EXPECT_EQ(origin.calls, 3);
  clock.advance(seconds(40));
  EXPECT_EQ(get().source(), DataSource::kErrorOriginal);
}

}  // namespace
}  // namespace cachedata

namespace cachedata {
namespace {

TEST_P(GetFlowTest, FailedForcedRefreshServesTheFreshEntryUnchanged) {
  answer_versions();
  get();
  int64_t expires_before = record().expires;
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  Request forced = request;
  forced.force_refresh = true;
  GetResult r = get(forced);
  EXPECT_EQ(r.source(), DataSource::kErrorCache);
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(record().expires, expires_before);  // not shortened to the stale-on-error window
  EXPECT_EQ(get().source(), DataSource::kCacheMemory);
}

TEST_P(GetFlowTest, NotModifiedWithoutDateDoesNotReuseTheStoredDate) {
  // Stored: Date T0, Expires T0+60. A 304 an hour later without Date or Expires must not grant
  // the 60 s lifetime again from the old Date: the profile's rules apply from now.
  origin.respond = [this](const Request&, const Validators&) {
    auto t0 = std::chrono::floor<seconds>(clock.now());
    return ok_response("v", {{"ETag", "\"e\""},
                             {"Date", base::format_http_date(t0)},
                             {"Expires", base::format_http_date(t0 + seconds(60))}});
  };
  get();
  clock.advance(seconds(3600));
  origin.respond = [](const Request&, const Validators&) {
    Response r;
    r.status_code = 304;
    return r;
  };
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
  // Expires (T0+60) measured from now: already expired, so stale immediately.
  EXPECT_LE(r.expires(), clock.now());
}

}  // namespace
}  // namespace cachedata
