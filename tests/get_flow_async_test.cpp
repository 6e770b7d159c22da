// Cache::get_async on every store (support/get_flow_fixture.hpp): a hit answers on the calling
// thread before get_async returns; a miss returns at once and answers once the source has; a
// thousand gets of one entry in flight make one call and hold no thread each (a test origin
// answers from its own "network" thread, as libcurl's multi interface would); stale, 304 and
// failure rows as get(); async and sync gets share one call; ~Cache waits for a fetch in flight.
#include <condition_variable>
#include <deque>
#include <future>
#include <thread>

#include "support/get_flow_fixture.hpp"

namespace cachedata::testing {
namespace {

using std::chrono::milliseconds;

// An AsyncFetcher whose calls wait, without a thread each, until the test answers them; the
// answers are given from one thread of its own.
class HeldAsyncOrigin {
 public:
  AsyncFetcher fetcher() {
    return [this](const Request& r, const Validators& v, std::function<void(Response)> done) {
      std::lock_guard lock(mu_);
      ++calls;
      pending_.push_back(Pending{r, v, std::move(done)});
      arrived_.notify_all();
    };
  }
  // Waits until `n` calls wait for an answer.
  bool wait_for_pending(size_t n) {
    std::unique_lock lock(mu_);
    return arrived_.wait_for(lock, std::chrono::seconds(10), [&] { return pending_.size() >= n; });
  }
  // Answers every waiting call as `respond` says, from a thread of its own.
  void answer_all(const std::function<Response(const Request&, const Validators&)>& respond) {
    std::deque<Pending> now;
    {
      std::lock_guard lock(mu_);
      now.swap(pending_);
    }
    std::thread network([&] {
      for (auto& p : now) p.done(respond(p.request, p.validators));
    });
    network.join();
  }
  std::atomic<int> calls{0};

 private:
  struct Pending {
    Request request;
    Validators validators;
    std::function<void(Response)> done;
  };
  std::mutex mu_;
  std::condition_variable arrived_;
  std::deque<Pending> pending_;
};

class AsyncGetTest : public GetFlowTest {
 protected:
  // A test that stopped early leaves calls waiting: answer them, or ~Cache would wait forever.
  void TearDown() override {
    held.answer_all([](const Request&, const Validators&) { return Response::failure("over"); });
    GetFlowTest::TearDown();
  }
  std::future<GetResult> get_async(const Request& r) {
    return cache->get_async(profile, r, held.fetcher());
  }
  std::future<GetResult> get_async() { return get_async(request); }
  static Response answer(const std::string& body) { return ok_response(body, {{"ETag", "\"a\""}}); }

  HeldAsyncOrigin held;
};

TEST_P(AsyncGetTest, AHitAnswersOnTheCallingThreadBeforeGetAsyncReturns) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  std::thread::id answered_on;
  bool answered = false;
  cache->get_async(profile, request, held.fetcher(), [&](GetResult r) {
    answered = true;
    answered_on = std::this_thread::get_id();
    EXPECT_EQ(r.source(), DataSource::kCacheMemory);
    EXPECT_EQ(r.body(), "body v1");
  });
  EXPECT_TRUE(answered);
  EXPECT_EQ(answered_on, std::this_thread::get_id());
  EXPECT_EQ(held.calls, 0);
}

TEST_P(AsyncGetTest, AMissReturnsAtOnceAndAnswersOnceTheSourceHas) {
  auto future = get_async();
  ASSERT_TRUE(held.wait_for_pending(1));
  EXPECT_EQ(future.wait_for(milliseconds(50)), std::future_status::timeout);
  held.answer_all([](const Request&, const Validators&) { return answer("the answer"); });
  GetResult r = future.get();
  EXPECT_EQ(r.source(), DataSource::kOriginal);
  EXPECT_EQ(r.body(), "the answer");
  EXPECT_EQ(held.calls, 1);
  // Stored like get()'s answers.
  EXPECT_EQ(get().source(), DataSource::kCacheMemory);
  reopen();
  EXPECT_EQ(get().body(), "the answer");
}

TEST_P(AsyncGetTest, AThousandGetsOfOneEntryInFlightMakeOneCallAndHoldNoThreadEach) {
  const size_t threads_before = threads_of_this_process();
  std::vector<std::future<GetResult>> futures;
  for (int i = 0; i < 1000; ++i) futures.push_back(get_async());
  ASSERT_TRUE(held.wait_for_pending(1));
  EXPECT_LE(threads_of_this_process(), threads_before + 4);
  EXPECT_EQ(cache->stats().single_flight_waits, 999u);
  held.answer_all([](const Request&, const Validators&) { return answer("shared"); });
  int joined = 0;
  for (auto& f : futures) {
    GetResult r = f.get();
    EXPECT_EQ(r.body(), "shared");
    joined += r.joined() ? 1 : 0;
  }
  EXPECT_EQ(joined, 999);
  EXPECT_EQ(held.calls, 1);
}

TEST_P(AsyncGetTest, ManyEntriesInFlightHoldNoThreadEach) {
  const size_t threads_before = threads_of_this_process();
  std::vector<std::future<GetResult>> futures;
  for (int i = 0; i < 200; ++i) {
    futures.push_back(
        get_async(Request::get("https://api.example.com/items/" + std::to_string(i))));
  }
  ASSERT_TRUE(held.wait_for_pending(200));
  EXPECT_LE(threads_of_this_process(), threads_before + 4);
  held.answer_all([](const Request& r, const Validators&) { return answer(r.uri); });
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(futures[static_cast<size_t>(i)].get().body(),
              "https://api.example.com/items/" + std::to_string(i));
  }
  EXPECT_EQ(held.calls, 200);
}

TEST_P(AsyncGetTest, AnExpiredEntryIsRevalidatedAndA304KeepsItsBody) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(61));
  auto future = get_async();
  ASSERT_TRUE(held.wait_for_pending(1));
  held.answer_all([](const Request&, const Validators& v) {
    EXPECT_EQ(v.etag, "\"v1\"");
    Response r;
    r.status_code = 304;
    return r;
  });
  GetResult r = future.get();
  EXPECT_EQ(r.source(), DataSource::kCacheOriginalNotModified);
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(store->head_replacements, 1);
}

TEST_P(AsyncGetTest, AFailingSourceServesTheStaleEntry) {
  answer_versions();
  ASSERT_EQ(get().body(), "body v1");
  clock.advance(seconds(61));
  auto future = get_async();
  ASSERT_TRUE(held.wait_for_pending(1));
  held.answer_all([](const Request&, const Validators&) { return Response::failure("down"); });
  GetResult r = future.get();
  EXPECT_EQ(r.source(), DataSource::kErrorCache);
  EXPECT_EQ(r.body(), "body v1");
  EXPECT_EQ(r.error(), "down");
}

TEST_P(AsyncGetTest, AFetcherThatThrowsInsteadOfStartingIsASourceFailure) {
  AsyncFetcher throwing = [](const Request&, const Validators&, std::function<void(Response)>) {
    throw std::runtime_error("no sockets left");
  };
  GetResult r = cache->get_async(profile, request, throwing).get();
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_NE(r.error().find("no sockets left"), std::string::npos) << r.error();
  EXPECT_FALSE(r.rejected());
}

TEST_P(AsyncGetTest, AnInvalidProfileIsRejectedBeforeAnyCall) {
  profile.ttl = seconds(-1);
  GetResult r = get_async().get();
  EXPECT_TRUE(r.rejected());
  EXPECT_EQ(held.calls, 0);
}

TEST_P(AsyncGetTest, AsyncAndSyncGetsOfOneEntryShareOneCall) {
  auto future = get_async();
  ASSERT_TRUE(held.wait_for_pending(1));
  GetResult sync_result;
  std::thread sync_get([&] { sync_result = get(); });
  for (int i = 0; i < 10'000 && cache->stats().single_flight_waits == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_EQ(cache->stats().single_flight_waits, 1u);
  held.answer_all([](const Request&, const Validators&) { return answer("one call"); });
  sync_get.join();
  EXPECT_EQ(future.get().body(), "one call");
  EXPECT_EQ(sync_result.body(), "one call");
  EXPECT_TRUE(sync_result.joined());
  EXPECT_EQ(held.calls, 1);
  EXPECT_EQ(origin.calls, 0);
}

TEST_P(AsyncGetTest, DestroyingTheCacheWaitsForTheFetchInFlight) {
  std::atomic<bool> answered{false};
  cache->get_async(profile, request, held.fetcher(), [&](GetResult r) {
    EXPECT_EQ(r.body(), "late");
    answered = true;
  });
  ASSERT_TRUE(held.wait_for_pending(1));
  std::atomic<bool> destroyed{false};
  std::thread destroyer([&] {
    cache.reset();
    destroyed = true;
  });
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_FALSE(destroyed);
  held.answer_all([](const Request&, const Validators&) { return answer("late"); });
  destroyer.join();
  EXPECT_TRUE(answered);
}

INSTANTIATE_TEST_SUITE_P(Stores, AsyncGetTest, kAllFlowStores, test_name_suffix);

}  // namespace
}  // namespace cachedata::testing
