// The get flow's details around a 304 and a failure, on every store (support/get_flow_fixture.hpp):
// which of a 304's header fields replace the stored ones (RFC 9111 §3.2, §4.3.4), which validators
// the next revalidation sends, a 304 that says no-store, a 304 nobody asked for, an entry the store
// lost while it was being revalidated, and a remembered failure that must never pass for an answer.
#include <gtest/gtest.h>

#include <thread>

#include "cachedata/cache.hpp"
#include "core/envelope.hpp"
#include "crypto/keyring.hpp"
#include "support/get_flow_fixture.hpp"

namespace cachedata {
namespace {

using std::chrono::seconds;
using testing::GetFlowTest;
using testing::ok_response;
using testing::test_name_suffix;

class RevalidationTest : public GetFlowTest {
 protected:
  // A first answer with an ETag and the given extra headers, then the clock past its expiry.
  void cache_then_expire(Headers extra = {}) {
    origin.respond = [extra](const Request&, const Validators&) {
      Headers h = extra;
      h.add("ETag", "\"v1\"");
      h.add("Content-Type", "text/plain");
      return ok_response("stored body", h);
    };
    ASSERT_EQ(get().source(), DataSource::kOriginal);
    clock.advance(seconds(61));
  }
  // The origin answers 304 with these headers (whatever validators it gets).
  void answer_304(Headers headers) {
    origin.respond = [headers](const Request&, const Validators&) {
      Response r;
      r.status_code = 304;
      r.headers = headers;
      return r;
    };
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, RevalidationTest, testing::kAllFlowStores, test_name_suffix);

TEST_P(RevalidationTest, HeadersThatDescribeThe304ItselfNeverReplaceTheStoredOnes) {
  cache_then_expire({{"Content-Length", "11"}, {"Content-Encoding", "identity"}});
  answer_304({{"Content-Length", "0"},
              {"Transfer-Encoding", "chunked"},
              {"Content-Encoding", "gzip"},
              {"Connection", "close"},
              {"Keep-Alive", "timeout=5"},
              {"Trailer", "X"},
              {"Upgrade", "h2c"},
              {"Proxy-Connection", "close"},
              {"TE", "trailers"},
              {"Content-Range", "bytes 0-0/1"},
              {"X-Fresh", "from the 304"}});
  GetResult r = get();
  ASSERT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
  EXPECT_EQ(r.body(), "stored body");
  for (GetResult seen : {r, (reopen(), get())}) {
    SCOPED_TRACE(std::string(to_string(seen.source())));
    EXPECT_EQ(seen.headers().get("content-length"), "11");
    EXPECT_EQ(seen.headers().get("content-encoding"), "identity");
    for (const char* own : {"transfer-encoding", "connection", "keep-alive", "trailer", "upgrade",
                            "proxy-connection", "te", "content-range"}) {
      EXPECT_FALSE(seen.headers().get(own).has_value()) << own;
    }
    EXPECT_EQ(seen.headers().get("x-fresh"), "from the 304");  // the rest do replace
    EXPECT_EQ(seen.headers().get("content-type"), "text/plain");
  }
}

TEST_P(RevalidationTest, A304sFieldsReplaceTheStoredOnesOfTheSameName) {
  cache_then_expire({{"X-Version", "1"}, {"X-Version", "1b"}, {"X-Kept", "k"}});
  answer_304({{"X-Version", "2"}});
  GetResult r = get();
  ASSERT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
  EXPECT_EQ(r.headers().get_combined("x-version"), "2");  // both stored fields replaced
  EXPECT_EQ(r.headers().get("x-kept"), "k");
}

TEST_P(RevalidationTest, WithRetainHeadersA304OnlyBringsTheRetainedOnes) {
  profile.retain_headers = {"x-version"};
  cache_then_expire({{"X-Version", "1"}});
  answer_304({{"X-Version", "2"}, {"X-Other", "not retained"}, {"Cache-Control", "max-age=120"}});
  GetResult r = get();
  ASSERT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
  EXPECT_EQ(r.headers().get("x-version"), "2");
  EXPECT_FALSE(r.headers().get("x-other").has_value());
  EXPECT_EQ(r.headers().get("cache-control"), "max-age=120");  // the cache's own rules need it
  EXPECT_EQ(r.expires(), clock.now() + seconds(120));
}

TEST_P(RevalidationTest, ANewETagFromA304IsWhatTheNextRevalidationSends) {
  cache_then_expire({{"Last-Modified", "Mon, 05 Jan 2026 10:00:00 GMT"}});
  answer_304({{"ETag", "\"v2\""}, {"Last-Modified", "Tue, 06 Jan 2026 10:00:00 GMT"}});
  ASSERT_EQ(get().source(), DataSource::kCacheOriginalNotModified);
  EXPECT_EQ(origin.seen_validators.back().etag, "\"v1\"");
  EXPECT_EQ(origin.seen_validators.back().last_modified, "Mon, 05 Jan 2026 10:00:00 GMT");
  clock.advance(seconds(61));
  reopen();  // from the store, not the memory tier
  answer_304({});
  ASSERT_EQ(get().source(), DataSource::kCacheOriginalNotModified);
  ASSERT_EQ(origin.calls, 3);
  EXPECT_EQ(origin.seen_validators.back().etag, "\"v2\"");
  EXPECT_EQ(origin.seen_validators.back().last_modified, "Tue, 06 Jan 2026 10:00:00 GMT");
}

TEST_P(RevalidationTest, A304ThatSaysNoStoreRemovesTheStoredCopy) {
  cache_then_expire();
  answer_304({{"Cache-Control", "no-store"}});
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
  EXPECT_EQ(r.body(), "stored body");  // this answer is still the stored body
  EXPECT_EQ(cache->stats().not_stored, 1u);
  EXPECT_FALSE(store->get(id()).value().has_value()) << "the store kept it";
  // Neither the memory tier nor the store serves it again: the next get asks without validators.
  answer_versions();
  GetResult next = get();
  EXPECT_EQ(next.source(), DataSource::kOriginal);
  EXPECT_TRUE(origin.seen_validators.back().empty());
}

TEST_P(RevalidationTest, A304ToARequestWithoutValidatorsIsAFailureNotAnAnswer) {
  // On a miss: nothing was asked to be validated.
  answer_304({{"ETag", "\"x\""}});
  GetResult miss = get();
  EXPECT_EQ(miss.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(miss.error(), "origin answered 304 to a request without validators");
  EXPECT_EQ(cache->stats().not_modified, 0u);
  EXPECT_EQ(cache->stats().origin_failures, 1u);
  // On a stale entry without ETag or Last-Modified: no validators were sent either; the stale
  // entry is served as on any failure (stale_on_error), not "extended by a 304".
  clock.advance(seconds(10));  // past the remembered failure
  origin.respond = [](const Request&, const Validators&) { return ok_response("no validators"); };
  ASSERT_EQ(get().source(), DataSource::kOriginalCacheExpired);  // replaces the failure
  clock.advance(seconds(61));
  answer_304({});
  GetResult stale = get();
  EXPECT_TRUE(origin.seen_validators.back().empty());
  EXPECT_EQ(stale.source(), DataSource::kErrorCache);
  EXPECT_EQ(stale.body(), "no validators");
  EXPECT_EQ(cache->stats().not_modified, 0u);
}

TEST_P(RevalidationTest, AnEntryTheStoreLostDuringRevalidationIsWrittenBackWhole) {
  cache_then_expire();
  // The memory tier still holds it; the store lost it (swept, evicted, purged by another process).
  ASSERT_TRUE(store->erase(id()));
  answer_304({});
  GetResult r = get();
  ASSERT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
  auto stored = store->get(id()).value();
  ASSERT_TRUE(stored.has_value()) << "not written back";
  EXPECT_EQ(stored->expires, clock.seconds() + 60);
  reopen();
  GetResult again = get();
  EXPECT_EQ(again.source(), DataSource::kCache);
  EXPECT_EQ(again.body(), "stored body");
}

TEST_P(RevalidationTest, AnEntryTheStoreLostIsPutBackWhenServedStaleOnFailure) {
  cache_then_expire();
  ASSERT_TRUE(store->erase(id()));
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  GetResult r = get();
  ASSERT_EQ(r.source(), DataSource::kErrorCache);
  auto stored = store->get(id()).value();
  ASSERT_TRUE(stored.has_value()) << "not written back";
  EXPECT_EQ(stored->expires, clock.seconds() + 30);
}

TEST_P(RevalidationTest, ARememberedFailureIsNeverServedAsAStaleAnswer) {
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  GetResult first = get();
  ASSERT_EQ(first.source(), DataSource::kErrorOriginal);
  // Within the negative TTL: the failure is answered from the cache, without the origin.
  EXPECT_EQ(get().source(), DataSource::kErrorOriginal);
  EXPECT_EQ(origin.calls, 1);
  EXPECT_EQ(cache->stats().negative_hits, 1u);
  // Past it, the origin fails again: the old failure is not "stale data" to fall back on, and
  // no validators come from it.
  clock.advance(seconds(6));
  GetResult second = get();
  EXPECT_EQ(second.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(second.error(), "down");
  EXPECT_EQ(origin.calls, 2);
  EXPECT_TRUE(origin.seen_validators.back().empty());
  EXPECT_EQ(cache->stats().stale_served, 0u);
  // And once the origin answers, the answer replaces the failure.
  clock.advance(seconds(6));
  answer_versions();
  GetResult answer = get();
  EXPECT_EQ(answer.source(), DataSource::kOriginalCacheExpired);
  EXPECT_EQ(answer.body(), "body v1");
}

TEST_P(RevalidationTest, AForcedRefreshSendsNoValidatorsAndReplacesTheEntry) {
  cache_then_expire();
  answer_versions();
  Request forced = request;
  forced.force_refresh = true;
  GetResult r = get(forced);
  EXPECT_EQ(r.source(), DataSource::kOriginalCacheUpdateForced);
  EXPECT_TRUE(origin.seen_validators.back().empty());
  reopen();
  EXPECT_EQ(get().body(), "body v1");
}

TEST_P(RevalidationTest, AnExpiredEntryIsServedStaleOnlyUntilItsExtensionEnds) {
  cache_then_expire();
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  GetResult stale = get();
  ASSERT_EQ(stale.source(), DataSource::kErrorCache);
  EXPECT_FALSE(stale.stale());  // extended by stale_on_error: fresh for another 30 s
  EXPECT_EQ(stale.expires(), clock.now() + seconds(30));
  clock.advance(seconds(29));
  EXPECT_EQ(get().source(), DataSource::kCacheMemory);
  EXPECT_EQ(origin.calls, 2);
  clock.advance(seconds(1));  // the extension's last second has passed: expired again
  EXPECT_EQ(get().source(), DataSource::kErrorCache);
  EXPECT_EQ(origin.calls, 3);
}

// Vary (docs/DESIGN.md, "Vary"): with key headers named, the headers an answer varies on that
// are not in the id join it through a pointer entry; each variant is its own entry.
TEST_P(RevalidationTest, AnswersThatVaryOnTwoUnkeyedHeadersAreKeptPerVariant) {
  profile.key_headers = {"accept"};
  origin.respond = [](const Request& r, const Validators&) {
    return ok_response("for " + std::string(r.headers.get("accept-language").value_or("-")) + "/" +
                           std::string(r.headers.get("x-tenant").value_or("-")),
                       {{"Vary", "Accept-Language, X-Tenant"}});
  };
  auto ask = [&](const char* language, const char* tenant) {
    Request r = request;
    r.headers.add("Accept-Language", language);
    r.headers.add("X-Tenant", tenant);
    return get(r);
  };
  EXPECT_EQ(ask("en", "t1").body(), "for en/t1");
  EXPECT_EQ(ask("de", "t1").body(), "for de/t1");
  EXPECT_EQ(ask("en", "t2").body(), "for en/t2");
  EXPECT_EQ(origin.calls, 3);
  reopen();  // from the store: the pointer, then the variant
  GetResult again = ask("de", "t1");
  EXPECT_EQ(again.source(), DataSource::kCache);
  EXPECT_EQ(again.body(), "for de/t1");
  EXPECT_EQ(ask("en", "t2").body(), "for en/t2");
  EXPECT_EQ(ask("en", "t1").body(), "for en/t1");  // the first variant too (written on a miss)
  EXPECT_EQ(origin.calls, 3);
}

TEST_P(RevalidationTest, AnAnswerThatStopsVaryingReplacesThePointer) {
  profile.key_headers = {"accept"};
  bool varies = true;
  origin.respond = [&varies](const Request& r, const Validators&) {
    Headers h;
    if (varies) h.add("Vary", "X-Tenant");
    return ok_response("for " + std::string(r.headers.get("x-tenant").value_or("-")), h);
  };
  auto ask = [&](const char* tenant) {
    Request r = request;
    r.headers.add("X-Tenant", tenant);
    return get(r);
  };
  ASSERT_EQ(ask("t1").body(), "for t1");
  clock.advance(seconds(61));
  varies = false;
  ASSERT_EQ(ask("t1").body(), "for t1");  // refetched through the pointer: no Vary any more
  reopen();
  GetResult other = ask("t2");  // the answer now lives under the request's own id, for all
  EXPECT_EQ(other.source(), DataSource::kCache);
  EXPECT_EQ(other.body(), "for t1");
  EXPECT_EQ(origin.calls, 2);
}

TEST_P(RevalidationTest, VaryOnAKeyedHeaderNeedsNoPointer) {
  profile.key_headers = {"accept-language"};
  origin.respond = [](const Request& r, const Validators&) {
    return ok_response(std::string(r.headers.get("accept-language").value_or("-")),
                       {{"Vary", "accept-language"}});
  };
  Request en = request;
  en.headers.add("Accept-Language", "en");
  ASSERT_EQ(get(en).body(), "en");
  // The answer lives under the request's own id: nothing else was written.
  auto stored = store->get(cache->id_of(profile, en).value()).value();
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(store->writes, 1);
  reopen();
  EXPECT_EQ(get(en).source(), DataSource::kCache);
}

TEST_P(RevalidationTest, AFetcherThatThrowsSomethingElseIsASourceFailureToo) {
  origin.respond = [](const Request&, const Validators&) -> Response { throw 42; };
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(r.error(), "fetcher threw a non-standard exception");
}

TEST_P(RevalidationTest, RetainHeadersKeepTheOnesTheCacheNeedsAndTheListedOnes) {
  profile.retain_headers = {"X-Listed"};
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("x", {{"ETag", "\"e\""},
                             {"Last-Modified", "Mon, 05 Jan 2026 10:00:00 GMT"},
                             {"Content-Type", "text/plain"},
                             {"Cache-Control", "max-age=60"},
                             {"Expires", "Thu, 15 Jan 2099 13:00:00 GMT"},
                             {"X-Listed", "kept"},
                             {"X-Other", "dropped"}});
  };
  get();
  reopen();
  GetResult r = get();
  ASSERT_EQ(r.source(), DataSource::kCache);
  for (const char* kept :
       {"etag", "last-modified", "content-type", "cache-control", "expires", "x-listed"}) {
    EXPECT_TRUE(r.headers().get(kept).has_value()) << kept;
  }
  EXPECT_FALSE(r.headers().get("x-other").has_value());
}

TEST_P(RevalidationTest, ExpiryIsMeasuredFromWhenTheAnswerArrived) {
  origin.respond = [this](const Request&, const Validators&) {
    clock.advance(seconds(10));  // a slow origin
    return ok_response("slow");
  };
  GetResult r = get();
  EXPECT_EQ(r.expires(), clock.now() + seconds(60));
  EXPECT_EQ(store->get(id()).value()->expires, clock.seconds() + 60);
}

TEST_P(RevalidationTest, AStoredAgeIsDroppedWhenA304BringsNone) {
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("aged", {{"ETag", "\"a\""}, {"Cache-Control", "max-age=60"}, {"Age", "30"}});
  };
  ASSERT_EQ(get().expires(), clock.now() + seconds(30));
  clock.advance(seconds(31));
  answer_304({});
  GetResult r = get();
  ASSERT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
  EXPECT_EQ(r.expires(), clock.now() + seconds(60));  // the old Age no longer counts
  EXPECT_FALSE(r.headers().get("age").has_value());
}

TEST_P(RevalidationTest, ARememberedFailureKeepsItsStatusForItsNegativeTtlOfOneSecond) {
  profile.negative_ttl = seconds(1);  // the shortest that remembers
  origin.respond = [](const Request&, const Validators&) {
    Response r;
    r.status_code = 503;
    return r;
  };
  GetResult first = get();
  EXPECT_EQ(first.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(first.status_code(), 503);
  GetResult remembered = get();  // the same second
  EXPECT_EQ(remembered.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(remembered.status_code(), 503);
  EXPECT_EQ(remembered.error(), "origin answered 503");
  EXPECT_EQ(origin.calls, 1);
  clock.advance(seconds(1));
  get();
  EXPECT_EQ(origin.calls, 2);
}

TEST_P(RevalidationTest, AStaleIfErrorAnswerAtItsExpirySecondIsMarkedStale) {
  profile.stale_on_error = seconds(0);
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("sie", {{"Cache-Control", "max-age=60, stale-if-error=30"}});
  };
  get();
  clock.advance(seconds(60));  // exactly its expiry
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  GetResult r = get();
  ASSERT_EQ(r.source(), DataSource::kErrorCache);
  EXPECT_TRUE(r.stale());
  EXPECT_EQ(r.expires(), clock.now());
}

TEST_P(RevalidationTest, ANoStoreAnswerTakesTheOldCopyOutOfTheMemoryTier) {
  answer_versions();
  get();
  ASSERT_EQ(get().source(), DataSource::kCacheMemory);
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("private now", {{"Cache-Control", "no-store"}});
  };
  Request forced = request;
  forced.force_refresh = true;
  ASSERT_EQ(get(forced).body(), "private now");
  EXPECT_NE(get().source(), DataSource::kCacheMemory);
}

TEST_P(RevalidationTest, AStaleWhileRevalidateAnswerCountsAsAHitAndAsStale) {
  profile.stale_while_revalidate = seconds(30);
  answer_versions();
  get();
  clock.advance(seconds(61));
  GetResult stale = get();
  ASSERT_TRUE(stale.stale());
  cache->wait_for_background_refreshes();
  CacheStats s = cache->stats();
  EXPECT_EQ(s.stale_while_revalidate, 1u);
  // The expired memory entry sends the lookup to the store, where the stale answer was found.
  EXPECT_EQ(s.store_hits + s.memory_hits, 1u);
  EXPECT_EQ(s.background_refreshes, 1u);
}

TEST_P(RevalidationTest, AFailedForcedRefreshOfAFreshEntryCountsAsStaleServed) {
  answer_versions();
  get();
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  Request forced = request;
  forced.force_refresh = true;
  ASSERT_EQ(get(forced).source(), DataSource::kErrorCache);
  EXPECT_EQ(cache->stats().stale_served, 1u);
  EXPECT_EQ(cache->stats().origin_failures, 1u);
}

TEST_P(RevalidationTest, ANoStoreAnswerTakesAVariantOutOfTheMemoryTier) {
  profile.key_headers = {"accept"};
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("varies", {{"Vary", "X-Tenant"}});
  };
  Request r = request;
  r.headers.add("X-Tenant", "t1");
  get(r);
  ASSERT_EQ(get(r).source(), DataSource::kCacheMemory);
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("private now", {{"Vary", "X-Tenant"}, {"Cache-Control", "no-store"}});
  };
  Request forced = r;
  forced.force_refresh = true;
  ASSERT_EQ(get(forced).body(), "private now");
  EXPECT_NE(get(r).source(), DataSource::kCacheMemory);  // the variant left the memory tier
}

TEST_P(RevalidationTest, AGetReportsHowLongItTook) {
  origin.respond = [](const Request&, const Validators&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return ok_response("slow");
  };
  GetResult r = get();
  EXPECT_GE(r.elapsed(), std::chrono::milliseconds(20));
  EXPECT_LT(r.elapsed(), std::chrono::seconds(30));
}

TEST_P(RevalidationTest, ARejectedGetHasNoExpiryAndCallsNothing) {
  profile.on_interval = true;
  profile.time_zone = "Nowhere/Special";  // invalid
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(r.expires(), std::chrono::system_clock::time_point{});
  EXPECT_FALSE(r.error().empty());
  EXPECT_EQ(origin.calls, 0);
}

// Another process refreshed the entry in the store: a memory entry that expires this second is
// not served, and the store's newer copy is used instead of calling the origin.
TEST_P(RevalidationTest, AMemoryEntryAtItsExpirySecondDefersToTheStore) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");  // this Cache's memory tier: v1, expires at +60
  clock.advance(seconds(60));
  {
    // "Another process": a second Cache on the same store, with its own memory tier.
    auto other = open_other_cache();
    ASSERT_EQ(other->get(profile, request, origin.fetcher()).body(), "body v2");
  }
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCache);
  EXPECT_EQ(r.body(), "body v2");
  EXPECT_EQ(origin.calls, 2);
}

// After a key rotation an entry is found under the previous key's id. Served stale on a failure
// or refreshed by a 304, it moves to the current key's id (sealed under the current key), so it
// outlives the old key.
TEST_P(RevalidationTest, AnEntryOfThePreviousKeyServedStaleMovesToTheCurrentKey) {
  cache_then_expire();
  const DataKey old_key = key;
  const DataKey new_key = DataKey::generate();
  open({new_key, old_key});
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  ASSERT_EQ(get().source(), DataSource::kErrorCache);
  auto moved = store->get(id()).value();  // id() is the current key's id
  ASSERT_TRUE(moved.has_value()) << "not moved to the current key's id";
  EXPECT_EQ(moved->expires, clock.seconds() + 30);
  open({new_key});  // the old key is gone: the moved entry still serves
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCache);
  EXPECT_EQ(r.body(), "stored body");
}

TEST_P(RevalidationTest, AnEntryOfThePreviousKeyRevalidatedMovesToTheCurrentKey) {
  cache_then_expire();
  const DataKey old_key = key;
  const DataKey new_key = DataKey::generate();
  open({new_key, old_key});
  answer_304({});
  ASSERT_EQ(get().source(), DataSource::kCacheOriginalNotModified);
  auto moved = store->get(id()).value();
  ASSERT_TRUE(moved.has_value()) << "not moved to the current key's id";
  EXPECT_EQ(moved->expires, clock.seconds() + 60);
  open({new_key});
  GetResult r = get();
  EXPECT_EQ(r.source(), DataSource::kCache);
  EXPECT_EQ(r.body(), "stored body");
}

// The sealed head carries the entry's own times (docs/FORMAT.md): its expiry is the store
// record's, and its stored time is when the answer was taken, for every kind of write.
class SealedTimesTest : public RevalidationTest {
 protected:
  core::Entry sealed(const std::string& at_id) {
    StoredRecord r = store->get(at_id).value().value();
    crypto::Keyring keys({key}, "default");
    auto opened = core::open_entry(r.head, std::move(r.body), at_id, keys);
    EXPECT_TRUE(opened) << opened.status().to_string();
    EXPECT_EQ(opened ? opened->expires : -1, r.expires);
    return opened ? std::move(opened).value() : core::Entry{};
  }
  int64_t now_ms() const { return clock.seconds() * 1000; }
};

INSTANTIATE_TEST_SUITE_P(Stores, SealedTimesTest, testing::kAllFlowStores, test_name_suffix);

TEST_P(SealedTimesTest, AnAnswerARevalidationAndAFailureSealTheirTimes) {
  clock.advance(seconds(1000));
  cache_then_expire();  // stored at +1000, then the clock at +1061
  core::Entry first = sealed(id());
  EXPECT_EQ(first.stored_at_ms, (clock.seconds() - 61) * 1000);
  EXPECT_EQ(first.expires, clock.seconds() - 1);
  answer_304({});
  ASSERT_EQ(get().source(), DataSource::kCacheOriginalNotModified);
  core::Entry refreshed = sealed(id());
  EXPECT_EQ(refreshed.stored_at_ms, now_ms());
  EXPECT_EQ(refreshed.expires, clock.seconds() + 60);
  origin.respond = [](const Request&, const Validators&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return Response::failure("down");
  };
  Request other = Request::get("https://api.example.com/failing");
  ASSERT_EQ(get(other).source(), DataSource::kErrorOriginal);
  core::Entry failure = sealed(cache->id_of(profile, other).value());
  EXPECT_EQ(failure.kind, core::EntryKind::kFailure);
  EXPECT_EQ(failure.stored_at_ms, now_ms());
  EXPECT_EQ(failure.expires, clock.seconds() + 5);
  EXPECT_EQ(failure.error, "down");
  EXPECT_GE(failure.fetch_ms, 20u);
}

TEST_P(SealedTimesTest, AnAnswerRecordsHowLongTheOriginTook) {
  origin.respond = [](const Request&, const Validators&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return ok_response("slow");
  };
  ASSERT_EQ(get().source(), DataSource::kOriginal);
  core::Entry e = sealed(id());
  EXPECT_GE(e.fetch_ms, 30u);
  EXPECT_LT(e.fetch_ms, 30'000u);
}

TEST_P(SealedTimesTest, AVaryPointerCarriesItsAnswersTimes) {
  profile.key_headers = {"accept"};
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("varies", {{"Vary", "X-Tenant"}});
  };
  Request r = request;
  r.headers.add("X-Tenant", "t1");
  ASSERT_EQ(get(r).source(), DataSource::kOriginal);
  core::Entry pointer = sealed(cache->id_of(profile, r).value());
  EXPECT_EQ(pointer.kind, core::EntryKind::kVary);
  EXPECT_EQ(pointer.stored_at_ms, now_ms());
  EXPECT_EQ(pointer.expires, clock.seconds() + 60);
}

// Every counter, compared exactly (a counter that starts at 1 or counts twice is a wrong stat).
void expect_stats(const CacheStats& got, const CacheStats& want) {
  EXPECT_EQ(got.gets, want.gets);
  EXPECT_EQ(got.memory_hits, want.memory_hits);
  EXPECT_EQ(got.store_hits, want.store_hits);
  EXPECT_EQ(got.misses, want.misses);
  EXPECT_EQ(got.fetches, want.fetches);
  EXPECT_EQ(got.not_modified, want.not_modified);
  EXPECT_EQ(got.stale_served, want.stale_served);
  EXPECT_EQ(got.origin_failures, want.origin_failures);
  EXPECT_EQ(got.negative_hits, want.negative_hits);
  EXPECT_EQ(got.store_read_errors, want.store_read_errors);
  EXPECT_EQ(got.store_write_errors, want.store_write_errors);
  EXPECT_EQ(got.corrupt_entries, want.corrupt_entries);
  EXPECT_EQ(got.not_stored, want.not_stored);
  EXPECT_EQ(got.stale_while_revalidate, want.stale_while_revalidate);
  EXPECT_EQ(got.background_refreshes, want.background_refreshes);
}

TEST_P(RevalidationTest, StatsCountEachOutcomeExactly) {
  expect_stats(cache->stats(), CacheStats{});
  cache_then_expire();  // a miss, fetched and stored; the clock then passes its expiry
  {
    SCOPED_TRACE("after a miss");
    expect_stats(cache->stats(), CacheStats{.gets = 1, .misses = 1, .fetches = 1});
  }
  answer_304({});
  get();  // revalidated
  get();  // a memory hit
  {
    SCOPED_TRACE("after a 304 and a memory hit");
    expect_stats(
        cache->stats(),
        CacheStats{.gets = 3, .memory_hits = 1, .misses = 2, .fetches = 2, .not_modified = 1});
  }
  clock.advance(seconds(61));
  origin.respond = [](const Request&, const Validators&) { return Response::failure("down"); };
  get();  // served stale
  Request other = Request::get("https://api.example.com/other");
  get(other);  // a failure on a miss, remembered
  get(other);  // answered from the remembered failure
  {
    SCOPED_TRACE("after failures");
    expect_stats(cache->stats(), CacheStats{.gets = 6,
                                            .memory_hits = 1,
                                            .misses = 4,
                                            .fetches = 4,
                                            .not_modified = 1,
                                            .stale_served = 1,
                                            .origin_failures = 2,
                                            .negative_hits = 1});
  }
  Request unstored = Request::get("https://api.example.com/no-store");
  origin.respond = [](const Request&, const Validators&) {
    return ok_response("x", {{"Cache-Control", "no-store"}});
  };
  get(unstored);
  origin.respond = [](const Request&, const Validators&) { return ok_response("y"); };
  store->fail_writes = true;
  get(Request::get("https://api.example.com/write-fails"));
  store->fail_writes = false;
  {
    SCOPED_TRACE("after no-store and a failed write");
    expect_stats(cache->stats(), CacheStats{.gets = 8,
                                            .memory_hits = 1,
                                            .misses = 6,
                                            .fetches = 6,
                                            .not_modified = 1,
                                            .stale_served = 1,
                                            .origin_failures = 2,
                                            .negative_hits = 1,
                                            .store_write_errors = 1,
                                            .not_stored = 1});
  }
  // A new Cache (empty memory tier) on the same store: a store hit, and a read error.
  reopen();
  get(other);  // the remembered failure, from the store
  clock.advance(seconds(-50));
  get();  // fresh in the store
  store->fail_reads = true;
  get(Request::get("https://api.example.com/read-fails"));
  store->fail_reads = false;
  {
    SCOPED_TRACE("a new Cache");
    expect_stats(cache->stats(), CacheStats{.gets = 3,
                                            .store_hits = 1,
                                            .misses = 1,
                                            .fetches = 1,
                                            .negative_hits = 1,
                                            .store_read_errors = 1});
  }
}

}  // namespace
}  // namespace cachedata
