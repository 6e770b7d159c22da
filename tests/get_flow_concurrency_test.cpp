// One origin call per entry (docs/DESIGN.md, "One origin call"). In one process, gets of an entry
// that need the source at the same time make one call and share its answer (single flight), on
// every store: a missing entry, an expired one, a 304 revalidation, a failing origin with and
// without a stale entry, a fetcher that throws. Across Caches on one store, as processes or
// instances would be (the memory store stands for one process's caches, the local store for
// processes on one directory, the shared store for instances on one table): the lease. The origin
// in these tests holds its answer until every other get is waiting for it, so the counts do not
// depend on timing.
#include <barrier>
#include <latch>
#include <thread>

#include "support/get_flow_fixture.hpp"

namespace cachedata::testing {
namespace {

using std::chrono::milliseconds;

constexpr int kThreads = 64;

Response not_modified_response() {
  Response r;
  r.status_code = 304;
  return r;
}

// Polls `done` every millisecond for up to 10 s; false when it never became true.
template <typename Pred>
bool eventually(Pred done) {
  for (int i = 0; i < 10'000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return done();
}

// Holds the origin's answer until released, and says when the call started.
struct HeldOrigin {
  std::latch release{1};
  std::atomic<bool> entered{false};
  std::function<Response(const Request&, const Validators&)> answer(std::string body) {
    return answer_with([body](const Request&, const Validators&) { return ok_response(body, {}); });
  }
  std::function<Response(const Request&, const Validators&)> answer_with(
      std::function<Response(const Request&, const Validators&)> respond) {
    return [this, respond](const Request& r, const Validators& v) {
      entered = true;
      release.wait();
      return respond(r, v);
    };
  }
};

class OneOriginCallTest : public GetFlowTest {
 protected:
  // Runs `n` gets of `r` at once. The origin holds its first answer until the other n - 1 gets
  // are waiting for it, then answers as `respond` says.
  std::vector<GetResult> concurrent_gets(int n, const Request& r) {
    const uint64_t waits_before = cache->stats().single_flight_waits;
    auto respond = origin.respond;
    origin.respond = [&, respond](const Request& req, const Validators& v) {
      EXPECT_TRUE(eventually([&] {
        return cache->stats().single_flight_waits >= waits_before + static_cast<uint64_t>(n - 1);
      })) << "the other gets never joined the call";
      return respond(req, v);
    };
    std::vector<GetResult> results(static_cast<size_t>(n));
    std::latch start(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[static_cast<size_t>(i)] = get(r);
      });
    }
    for (auto& t : threads) t.join();
    origin.respond = respond;
    return results;
  }
  std::vector<GetResult> concurrent_gets(int n) { return concurrent_gets(n, request); }

  static int count_joined(const std::vector<GetResult>& results) {
    int joined = 0;
    for (const auto& r : results) joined += r.joined() ? 1 : 0;
    return joined;
  }
};

TEST_P(OneOriginCallTest, SixtyFourGetsOfAMissingEntryMakeOneCall) {
  answer_versions();
  auto results = concurrent_gets(kThreads);
  EXPECT_EQ(origin.calls, 1);
  for (const auto& r : results) {
    EXPECT_EQ(r.source(), DataSource::kOriginal);
    EXPECT_EQ(r.body(), "body v1");
    EXPECT_EQ(r.status_code(), 200);
  }
  EXPECT_EQ(count_joined(results), kThreads - 1);
  EXPECT_EQ(cache->stats().single_flight_waits, static_cast<uint64_t>(kThreads - 1));
  EXPECT_EQ(cache->stats().fetches, 1u);
  // The answer was stored once and is a hit now.
  EXPECT_EQ(get().source(), DataSource::kCacheMemory);
}

TEST_P(OneOriginCallTest, SixtyFourGetsOfAnExpiredEntryMakeOneCall) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(61));
  auto results = concurrent_gets(kThreads);
  EXPECT_EQ(origin.calls, 2);
  for (const auto& r : results) {
    EXPECT_EQ(r.source(), DataSource::kOriginalCacheExpired);
    EXPECT_EQ(r.body(), "body v2");
  }
  EXPECT_EQ(count_joined(results), kThreads - 1);
}

TEST_P(OneOriginCallTest, SixtyFourGetsRevalidatedByOne304MakeOneCall) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(61));
  origin.respond = [](const Request&, const Validators& v) {
    return v.etag == "\"v1\"" ? not_modified_response() : ok_response("unexpected", {});
  };
  const int head_replacements_before = store->head_replacements;
  auto results = concurrent_gets(kThreads);
  EXPECT_EQ(origin.calls, 2);
  for (const auto& r : results) {
    EXPECT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
    EXPECT_EQ(r.body(), "body v1");
  }
  EXPECT_EQ(store->head_replacements - head_replacements_before, 1);
}

TEST_P(OneOriginCallTest, SixtyFourGetsOfAStaleEntryWhenTheOriginFailsMakeOneCallAndServeIt) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(61));
  origin.respond = [](const Request&, const Validators&) { return Response::failure("refused"); };
  auto results = concurrent_gets(kThreads);
  EXPECT_EQ(origin.calls, 2);
  for (const auto& r : results) {
    EXPECT_EQ(r.source(), DataSource::kErrorCache);
    EXPECT_EQ(r.body(), "body v1");
    EXPECT_EQ(r.error(), "refused");
  }
}

TEST_P(OneOriginCallTest, SixtyFourGetsOfAMissingEntryWhenTheOriginFailsShareTheError) {
  origin.respond = [](const Request&, const Validators&) { return Response::failure("refused"); };
  auto results = concurrent_gets(kThreads);
  EXPECT_EQ(origin.calls, 1);
  for (const auto& r : results) {
    EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
    EXPECT_EQ(r.error(), "refused");
    EXPECT_FALSE(r.rejected());
  }
}

TEST_P(OneOriginCallTest, AFetcherThatThrowsReleasesEveryWaiter) {
  origin.respond = [](const Request&, const Validators&) -> Response {
    throw std::runtime_error("origin client exploded");
  };
  auto results = concurrent_gets(kThreads);
  EXPECT_EQ(origin.calls, 1);
  for (const auto& r : results) {
    EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
    EXPECT_NE(r.error().find("origin client exploded"), std::string::npos) << r.error();
  }
}

TEST_P(OneOriginCallTest, ForcedRefreshesOfOneEntryAtOnceMakeOneCall) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  Request forced = request;
  forced.force_refresh = true;
  auto results = concurrent_gets(kThreads, forced);
  EXPECT_EQ(origin.calls, 2);
  for (const auto& r : results) EXPECT_EQ(r.body(), "body v2");
}

TEST_P(OneOriginCallTest, AGetAfterTheCallEndedCallsAgain) {
  answer_versions();
  Request forced = request;
  forced.force_refresh = true;
  EXPECT_EQ(get(forced).body(), "body v1");
  EXPECT_EQ(get(forced).body(), "body v2");
  EXPECT_EQ(origin.calls, 2);
  EXPECT_EQ(cache->stats().single_flight_waits, 0u);
}

// The caller's deadline: a waiter answers at its max_wait; the call it waited for goes on and
// its answer is stored for the next get.
TEST_P(OneOriginCallTest, AWaiterGivesUpAtItsMaxWaitAndTheCallGoesOn) {
  HeldOrigin held;
  origin.respond = held.answer("slow answer");
  std::thread leader([&] { EXPECT_EQ(get().body(), "slow answer"); });
  ASSERT_TRUE(eventually([&] { return held.entered.load(); }));
  Request impatient = request;
  impatient.max_wait = milliseconds(50);
  GetResult waited = get(impatient);
  EXPECT_EQ(waited.source(), DataSource::kErrorOriginal);
  EXPECT_NE(waited.error().find("gave up after 50 ms"), std::string::npos) << waited.error();
  EXPECT_FALSE(waited.rejected());
  held.release.count_down();
  leader.join();
  EXPECT_EQ(origin.calls, 1);
  EXPECT_EQ(get().body(), "slow answer");
  EXPECT_EQ(origin.calls, 1);
}

TEST_P(OneOriginCallTest, AWaiterThatGivesUpGetsTheStaleEntry) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(61));
  HeldOrigin held;
  origin.respond = held.answer("body v2");
  std::thread leader([&] { EXPECT_EQ(get().body(), "body v2"); });
  ASSERT_TRUE(eventually([&] { return held.entered.load(); }));
  Request impatient = request;
  impatient.max_wait = milliseconds(20);
  GetResult waited = get(impatient);
  EXPECT_EQ(waited.source(), DataSource::kErrorCache);
  EXPECT_EQ(waited.body(), "body v1");
  EXPECT_TRUE(waited.stale());
  held.release.count_down();
  leader.join();
  EXPECT_EQ(origin.calls, 2);
}

// An answer that varies on a request header outside the id is shared only with the gets that
// sent the same value; a get with another value calls for its own variant.
TEST_P(OneOriginCallTest, AWaiterWithAnotherVaryValueCallsForItsOwnVariant) {
  profile.key_headers = {"accept"};
  std::latch release(1);
  std::atomic<bool> entered{false};
  origin.respond = [&](const Request& r, const Validators&) {
    const std::string lang(r.headers.get("x-lang").value_or("none"));
    if (lang == "en") {
      entered = true;
      release.wait();
    }
    return ok_response("in " + lang, {{"Vary", "X-Lang"}});
  };
  Request en = request;
  en.headers.add("X-Lang", "en");
  Request fr = request;
  fr.headers.add("X-Lang", "fr");
  std::thread leader([&] { EXPECT_EQ(get(en).body(), "in en"); });
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  GetResult same, other;
  std::thread same_thread([&] { same = get(en); });
  std::thread other_thread([&] { other = get(fr); });
  ASSERT_TRUE(eventually([&] { return cache->stats().single_flight_waits == 2; }));
  release.count_down();
  leader.join();
  same_thread.join();
  other_thread.join();
  EXPECT_EQ(same.body(), "in en");
  EXPECT_TRUE(same.joined());
  EXPECT_EQ(other.body(), "in fr");
  EXPECT_FALSE(other.joined());
  EXPECT_EQ(origin.calls, 2);
}

// XFetch: a hot entry is refreshed by one background call shortly before it expires, while
// every caller is still answered from the fresh entry.
TEST_P(OneOriginCallTest, AHotEntryIsRefreshedEarlyInTheBackgroundOnce) {
  answer_versions();
  auto respond = origin.respond;
  origin.respond = [respond](const Request& r, const Validators& v) {
    std::this_thread::sleep_for(milliseconds(20));  // the fetch time XFetch scales by
    return respond(r, v);
  };
  profile.early_refresh_beta = 100;  // ~2 s of head start on average for a 20 ms fetch
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(59));  // one second before the 60 s expiry
  for (int i = 0; i < 1000 && cache->stats().early_refreshes == 0; ++i) {
    GetResult r = get();
    ASSERT_EQ(r.body(), "body v1");
    ASSERT_FALSE(r.stale());
  }
  ASSERT_GE(cache->stats().early_refreshes, 1u);
  cache->wait_for_background_refreshes();
  EXPECT_EQ(origin.calls, 2);
  GetResult refreshed = get();
  EXPECT_EQ(refreshed.body(), "body v2");
  EXPECT_EQ(refreshed.source(), DataSource::kCacheMemory);
  EXPECT_GT(refreshed.expires(), clock.now() + seconds(30));
}

TEST_P(OneOriginCallTest, WithoutABetaNoHitRefreshesEarly) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(59));
  for (int i = 0; i < 200; ++i) ASSERT_EQ(get().body(), "body v1");
  cache->wait_for_background_refreshes();
  EXPECT_EQ(origin.calls, 1);
  EXPECT_EQ(cache->stats().early_refreshes, 0u);
}

INSTANTIATE_TEST_SUITE_P(Stores, OneOriginCallTest, kAllFlowStores, test_name_suffix);

// --- across Caches on one store: the lease ---

class LeaseTest : public GetFlowTest {
 protected:
  void SetUp() override {
    GetFlowTest::SetUp();
    if (IsSkipped()) return;
    profile.refresh_lease = milliseconds(2000);
    other = open_other_cache();
  }
  void TearDown() override {
    other.reset();
    GetFlowTest::TearDown();
  }
  int64_t now_ms() const { return clock.seconds() * 1000; }

  std::unique_ptr<Cache> other;
  CountingFetcher other_origin;
};

TEST_P(LeaseTest, AnotherCacheWaitsForTheHolderAndReadsItsAnswer) {
  HeldOrigin held;
  origin.respond = held.answer("the holder's answer");
  std::thread holder([&] { EXPECT_EQ(get().source(), DataSource::kOriginal); });
  ASSERT_TRUE(eventually([&] { return held.entered.load(); }));
  other_origin.respond = [](const Request&, const Validators&) {
    return ok_response("a second call", {});
  };
  GetResult waited;
  std::thread waiter([&] { waited = other->get(profile, request, other_origin.fetcher()); });
  ASSERT_TRUE(eventually([&] { return other->stats().lease_waits == 1; }));
  held.release.count_down();
  holder.join();
  waiter.join();
  EXPECT_EQ(waited.source(), DataSource::kCache);
  EXPECT_EQ(waited.body(), "the holder's answer");
  EXPECT_EQ(origin.calls, 1);
  EXPECT_EQ(other_origin.calls, 0);
  EXPECT_EQ(store->lease_releases, 1);
}

TEST_P(LeaseTest, AnotherCacheServesTheStaleEntryWhileTheHolderRefreshesIt) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(61));
  HeldOrigin held;
  origin.respond = held.answer("body v2");
  std::thread holder([&] { EXPECT_EQ(get().body(), "body v2"); });
  ASSERT_TRUE(eventually([&] { return held.entered.load(); }));
  GetResult served = other->get(profile, request, other_origin.fetcher());
  EXPECT_EQ(served.source(), DataSource::kCache);
  EXPECT_EQ(served.body(), "body v1");
  EXPECT_TRUE(served.stale());
  EXPECT_EQ(other_origin.calls, 0);
  held.release.count_down();
  holder.join();
  EXPECT_EQ(other->get(profile, request, other_origin.fetcher()).body(), "body v2");
}

// A holder that died (SIGKILL) never releases: the lease is taken over once it expires.
TEST_P(LeaseTest, ALeaseWhoseHolderDiedIsTakenOverWhenItExpires) {
  ASSERT_EQ(store->try_lease(id(), "dead-holder", now_ms() + 2000, now_ms()).value(), true);
  other_origin.respond = [](const Request&, const Validators&) {
    return ok_response("fetched after the takeover", {});
  };
  GetResult taken;
  std::thread waiter([&] { taken = other->get(profile, request, other_origin.fetcher()); });
  ASSERT_TRUE(eventually([&] { return other->stats().lease_waits == 1; }));
  EXPECT_EQ(other_origin.calls, 0);
  clock.advance(seconds(2));  // the lease's last millisecond has passed
  waiter.join();
  EXPECT_EQ(taken.source(), DataSource::kOriginal);
  EXPECT_EQ(taken.body(), "fetched after the takeover");
  EXPECT_EQ(other_origin.calls, 1);
}

TEST_P(LeaseTest, MaxWaitBoundsTheWaitForAnotherHoldersAnswer) {
  ASSERT_EQ(store->try_lease(id(), "slow-holder", now_ms() + 2000, now_ms()).value(), true);
  Request impatient = request;
  impatient.max_wait = milliseconds(30);
  GetResult r = other->get(profile, impatient, other_origin.fetcher());
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_NE(r.error().find("gave up after 30 ms"), std::string::npos) << r.error();
  EXPECT_EQ(other_origin.calls, 0);
}

TEST_P(LeaseTest, AFailureTheHolderRemembersIsServedToTheWaiter) {
  HeldOrigin held;
  origin.respond = [&](const Request&, const Validators&) {
    held.entered = true;
    held.release.wait();
    return Response::failure("origin down");
  };
  std::thread holder([&] { EXPECT_EQ(get().source(), DataSource::kErrorOriginal); });
  ASSERT_TRUE(eventually([&] { return held.entered.load(); }));
  GetResult waited;
  std::thread waiter([&] { waited = other->get(profile, request, other_origin.fetcher()); });
  ASSERT_TRUE(eventually([&] { return other->stats().lease_waits == 1; }));
  held.release.count_down();
  holder.join();
  waiter.join();
  EXPECT_EQ(waited.source(), DataSource::kErrorOriginal);
  EXPECT_EQ(waited.error(), "origin down");
  EXPECT_EQ(other_origin.calls, 0);
  EXPECT_EQ(other->stats().negative_hits, 1u);
}

TEST_P(LeaseTest, AStoreThatCannotLeaseDoesNotStopTheCall) {
  store->fail_writes = true;
  other_origin.respond = [](const Request&, const Validators&) {
    return ok_response("answered anyway", {});
  };
  GetResult r = other->get(profile, request, other_origin.fetcher());
  EXPECT_EQ(r.source(), DataSource::kOriginal);
  EXPECT_EQ(r.body(), "answered anyway");
  EXPECT_EQ(other_origin.calls, 1);
}

TEST_P(LeaseTest, NoLeaseMeansEachCacheCallsOnItsOwn) {
  profile.refresh_lease = milliseconds(0);
  ASSERT_EQ(store->try_lease(id(), "another-holder", now_ms() + 2000, now_ms()).value(), true);
  other_origin.respond = [](const Request&, const Validators&) { return ok_response("own", {}); };
  EXPECT_EQ(other->get(profile, request, other_origin.fetcher()).source(), DataSource::kOriginal);
  EXPECT_EQ(store->leases_granted, 1);  // only the test's own
}

TEST_P(LeaseTest, TheHolderReleasesItsLeaseWhenItsCallEnds) {
  origin.respond = [](const Request&, const Validators&) { return ok_response("a", {}); };
  ASSERT_EQ(get().source(), DataSource::kOriginal);
  EXPECT_EQ(store->leases_granted, 1);
  EXPECT_EQ(store->lease_releases, 1);
  EXPECT_TRUE(store->try_lease(id(), "next", now_ms() + 1000, now_ms()).value());
}

// Two refreshers of one entry (a lease taken over; here no lease at all): the one whose 304
// comes last does not write its head over the other's newer entry.
TEST_P(LeaseTest, A304ThatComesAfterAnotherWritersRefreshDoesNotOverwriteIt) {
  profile.refresh_lease = milliseconds(0);
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(61));
  HeldOrigin held;
  origin.respond = held.answer_with([](const Request&, const Validators& v) {
    EXPECT_EQ(v.etag, "\"v1\"");
    return not_modified_response();
  });
  GetResult slow;
  std::thread slow_refresher([&] { slow = get(); });
  ASSERT_TRUE(eventually([&] { return held.entered.load(); }));
  other_origin.respond = [](const Request&, const Validators&) {
    return ok_response("body v2", {{"ETag", "\"v2\""}});
  };
  ASSERT_EQ(other->get(profile, request, other_origin.fetcher()).body(), "body v2");
  held.release.count_down();
  slow_refresher.join();
  EXPECT_EQ(slow.source(), DataSource::kCacheOriginalNotModified);
  EXPECT_EQ(slow.body(), "body v1");  // its own answer, not written
  auto third = open_other_cache();
  GetResult now_stored = third->get(profile, request, other_origin.fetcher());
  EXPECT_EQ(now_stored.source(), DataSource::kCache);
  EXPECT_EQ(now_stored.body(), "body v2");
  EXPECT_EQ(third->stats().corrupt_entries, 0u);
  // The slow refresher's memory tier no longer holds its own copy as fresh.
  EXPECT_EQ(get().body(), "body v2");
}

TEST_P(LeaseTest, AStaleExtensionAfterAnotherWritersRefreshLeavesItsExpiry) {
  profile.refresh_lease = milliseconds(0);
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(61));
  HeldOrigin held;
  origin.respond = held.answer_with(
      [](const Request&, const Validators&) { return Response::failure("origin down"); });
  GetResult slow;
  std::thread slow_refresher([&] { slow = get(); });
  ASSERT_TRUE(eventually([&] { return held.entered.load(); }));
  other_origin.respond = [](const Request&, const Validators&) {
    return ok_response("body v2", {});
  };
  GetResult fresh = other->get(profile, request, other_origin.fetcher());
  ASSERT_EQ(fresh.body(), "body v2");
  held.release.count_down();
  slow_refresher.join();
  EXPECT_EQ(slow.source(), DataSource::kErrorCache);
  EXPECT_EQ(slow.body(), "body v1");
  // The newer entry keeps its own 60 s, not the 30 s stale extension.
  EXPECT_EQ(record().expires, std::chrono::system_clock::to_time_t(fresh.expires()));
  EXPECT_EQ(get().body(), "body v2");
}

INSTANTIATE_TEST_SUITE_P(Stores, LeaseTest, kAllFlowStores, test_name_suffix);

}  // namespace
}  // namespace cachedata::testing
