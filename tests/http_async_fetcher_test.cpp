// HttpFetcher::async(): the same fetches as the blocking fetcher (it shares the loop of
// attempts, http/fetch_call.hpp), driven by libcurl's multi interface on one thread, against the
// project's origin server (tools/origin): answers, redirects, retries, deadlines; a hundred calls
// in flight hold no thread each; a wait between retries does not hold up other calls; and
// Cache::get_async on it makes one origin call for many gets of one entry.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "cachedata/cache.hpp"
#include "cachedata/http_fetcher.hpp"
#include "support/origin_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

using std::chrono::milliseconds;

std::future<Response> start(const AsyncFetcher& fetcher, const std::string& url,
                            Validators validators = {}) {
  auto answer = std::make_shared<std::promise<Response>>();
  auto future = answer->get_future();
  fetcher(Request::get(url), validators, [answer](Response r) { answer->set_value(std::move(r)); });
  return future;
}

class AsyncFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override { origin_ = OriginProcess::start(); }
  OriginProcess origin_;
};

TEST_F(AsyncFetcherTest, AnAnswerIsTheBlockingFetchersAnswer) {
  HttpFetcher fetcher;
  const std::string url = origin_.url("/resource/a?marker=m1&header_X-Thing=yes");
  Response async_answer = start(fetcher.async(), url).get();
  Response sync_answer = fetcher(Request::get(url), Validators{});
  EXPECT_EQ(async_answer.status_code, 200);
  EXPECT_EQ(async_answer.headers.get("x-thing"), "yes");
  EXPECT_NE(async_answer.body.find("\"marker\":\"m1\""), std::string::npos) << async_answer.body;
  EXPECT_EQ(async_answer.status_code, sync_answer.status_code);
  EXPECT_EQ(async_answer.headers.get("content-type"), sync_answer.headers.get("content-type"));
}

TEST_F(AsyncFetcherTest, ValidatorsAreSentAndA304ComesBack) {
  HttpFetcher fetcher;
  Validators v;
  v.etag = "\"e1\"";
  Response r = start(fetcher.async(), origin_.url("/resource/v?etag=%22e1%22"), v).get();
  EXPECT_EQ(r.status_code, 304);
}

TEST_F(AsyncFetcherTest, RedirectsAreFollowedAndTransientFailuresRetried) {
  HttpFetcher fetcher;
  Response redirected = start(fetcher.async(), origin_.url("/redirect/2?to=/resource/end")).get();
  EXPECT_EQ(redirected.status_code, 200);
  EXPECT_EQ(origin_.hits("/resource/end"), 1);
  Response retried = start(fetcher.async(), origin_.url("/fail-then-ok/r?n=1")).get();
  EXPECT_EQ(retried.status_code, 200);
  EXPECT_EQ(origin_.hits("/fail-then-ok/r"), 2);
}

TEST_F(AsyncFetcherTest, ADeadlineEndsAHungCallWithTheSameAccount) {
  HttpFetcherOptions o;
  o.timeout = milliseconds(300);
  o.retry.max_attempts = 1;
  Response r = start(HttpFetcher(o).async(), origin_.url("/hang")).get();
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("1 attempt"), std::string::npos) << r.error;
}

TEST_F(AsyncFetcherTest, AnInvalidRequestOrOptionIsAFailureNotAThrow) {
  Request bad = Request::get(origin_.url("/resource/x"));
  bad.method = "NOT A TOKEN";
  auto answer = std::make_shared<std::promise<Response>>();
  HttpFetcher().async()(bad, Validators{}, [answer](Response r) { answer->set_value(r); });
  Response r = answer->get_future().get();
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("invalid HTTP method"), std::string::npos) << r.error;
  HttpFetcherOptions o;
  o.timeout = milliseconds(0);
  Response invalid = start(HttpFetcher(o).async(), origin_.url("/resource/x")).get();
  EXPECT_NE(invalid.error.find("timeout"), std::string::npos) << invalid.error;
}

TEST_F(AsyncFetcherTest, AHundredCallsInFlightHoldNoThreadEach) {
  HttpFetcher fetcher;
  const AsyncFetcher async = fetcher.async();
  (void)start(async, origin_.url("/resource/warm")).get();  // the network thread exists now
  const size_t threads_before = threads_of_this_process();
  std::vector<std::future<Response>> calls;
  for (int i = 0; i < 100; ++i) {
    calls.push_back(
        start(async, origin_.url("/resource/slow" + std::to_string(i) + "?delay_ms=500")));
  }
  EXPECT_LE(threads_of_this_process(), threads_before + 1);
  for (auto& c : calls) EXPECT_EQ(c.get().status_code, 200);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(origin_.hits("/resource/slow" + std::to_string(i)), 1);
}

TEST_F(AsyncFetcherTest, AWaitBeforeARetryDoesNotHoldUpOtherCalls) {
  HttpFetcher fetcher;
  const AsyncFetcher async = fetcher.async();
  // Shared with the callbacks, which may outlive a test that failed early.
  struct Order {
    std::mutex mu;
    std::vector<std::string> names;
    std::promise<void> both;
    void note(const std::string& name) {
      std::lock_guard lock(mu);
      names.push_back(name);
      if (names.size() == 2) both.set_value();
    }
  };
  auto order = std::make_shared<Order>();
  auto ended = order->both.get_future();
  // Fails once with Retry-After: 1, so its retry waits a whole second.
  async(Request::get(origin_.url("/fail-then-ok/waits?n=1&retry_after=1")), Validators{},
        [order](Response r) {
          EXPECT_EQ(r.status_code, 200);
          order->note("retried");
        });
  for (int i = 0; i < 2000 && origin_.hits("/fail-then-ok/waits") < 1; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(origin_.hits("/fail-then-ok/waits"), 1) << "the first attempt never reached the origin";
  async(Request::get(origin_.url("/resource/quick")), Validators{}, [order](Response r) {
    EXPECT_EQ(r.status_code, 200);
    order->note("quick");
  });
  ASSERT_EQ(ended.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  std::lock_guard lock(order->mu);
  ASSERT_EQ(order->names.size(), 2u);
  EXPECT_EQ(order->names[0], "quick");  // answered while the other call waited for its retry
}

TEST_F(AsyncFetcherTest, APaginatedFetchCombinesItsPages) {
  HttpFetcherOptions o;
  o.pagination.kind = PaginationOptions::Kind::kOffsetLimit;
  o.pagination.page_size = 2;
  Response r = start(HttpFetcher(o).async(), origin_.url("/pages/offset?total=5")).get();
  ASSERT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(r.headers.get("x-cachedata-pages"), "3");
}

TEST_F(AsyncFetcherTest, AsyncGetsOfOneEntryMakeOneOriginCall) {
  Config config;
  config.store = Config::StoreKind::kMemoryOnly;
  config.log_level = LogLevel::kOff;
  auto cache = Cache::open(config).value();
  HttpFetcher fetcher;
  const AsyncFetcher async = fetcher.async();
  const Request request = Request::get(origin_.url("/resource/one?delay_ms=300"));
  std::vector<std::future<GetResult>> gets;
  for (int i = 0; i < 50; ++i) gets.push_back(cache->get_async(Profile{}, request, async));
  for (auto& g : gets) {
    GetResult r = g.get();
    EXPECT_EQ(r.status_code(), 200);
    EXPECT_EQ(r.source(), DataSource::kOriginal);
  }
  EXPECT_EQ(origin_.hits("/resource/one"), 1);
  EXPECT_EQ(cache->get_async(Profile{}, request, async).get().source(), DataSource::kCacheMemory);
}

}  // namespace
}  // namespace cachedata::testing
