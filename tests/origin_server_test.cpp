// Tests of tools/origin (cachedata_origin), the HTTP origin the demo and the other tests use, run
// as a real process through OriginProcess and spoken to with plain libcurl.
#include <sys/wait.h>

#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/origin_process.hpp"

namespace cachedata::testing {
namespace {

using std::chrono::milliseconds;

class OriginServerTest : public ::testing::Test {
 protected:
  void SetUp() override { origin_ = OriginProcess::start(); }

  HttpReply get(const std::string& path, const std::vector<std::string>& headers = {}) {
    return http_request("GET", origin_.url(path), headers);
  }

  OriginProcess origin_;
};

TEST_F(OriginServerTest, ServesAResourceAsJson) {
  HttpReply r = get("/resource/users");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_FALSE(r.header("Date").empty());
  EXPECT_NE(r.body.find("\"name\":\"users\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"served_at_ms\":"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"hit\":1"), std::string::npos) << r.body;
  EXPECT_NE(get("/resource/users").body.find("\"hit\":2"), std::string::npos);
}

TEST_F(OriginServerTest, AnswersEveryMethodOnResources) {
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"}) {
    HttpReply r = http_request(method, origin_.url("/resource/m"));
    EXPECT_EQ(r.status, 200) << method << " " << r.error;
    if (std::string(method) != "HEAD") {
      EXPECT_NE(r.body.find(std::string("\"method\":\"") + method + "\""), std::string::npos)
          << r.body;
    }
  }
  EXPECT_EQ(origin_.hits("/resource/m"), 6);
}

TEST_F(OriginServerTest, UnknownPathIs404) {
  EXPECT_EQ(get("/nothing/here").status, 404);
}

TEST_F(OriginServerTest, BadQueryParameterIs400) {
  EXPECT_EQ(get("/resource/a?delay_ms=soon").status, 400);
  EXPECT_EQ(get("/resource/a?status=42").status, 400);
}

TEST_F(OriginServerTest, HonoursDelay) {
  get("/resource/a");  // warm-up: the first request may pay for the process starting up
  HttpReply fast = get("/resource/a");
  HttpReply slow = get("/resource/a?delay_ms=300");
  ASSERT_EQ(slow.status, 200);
  EXPECT_GE(slow.elapsed, milliseconds(290));
  EXPECT_LT(slow.elapsed, milliseconds(3000));
  EXPECT_LT(fast.elapsed, milliseconds(250));
}

TEST(OriginServerDefaultDelay, AppliesUnlessTheRequestSetsItsOwn) {
  OriginProcess origin = OriginProcess::start({"--default-delay-ms", "300"});
  HttpReply slow = http_request("GET", origin.url("/resource/a"));
  HttpReply fast = http_request("GET", origin.url("/resource/a?delay_ms=0"));
  EXPECT_GE(slow.elapsed, milliseconds(290));
  EXPECT_LT(fast.elapsed, milliseconds(250));
  // Control routes are never delayed.
  EXPECT_LT(http_request("GET", origin.url("/_hits")).elapsed, milliseconds(250));
}

TEST_F(OriginServerTest, ServesRequestsConcurrently) {
  std::vector<std::future<HttpReply>> replies;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    replies.push_back(std::async(std::launch::async, [this] {
      return http_request("GET", origin_.url("/resource/c?delay_ms=500"));
    }));
  }
  for (auto& r : replies) EXPECT_EQ(r.get().status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1400));
  EXPECT_EQ(origin_.hits("/resource/c"), 20);
}

TEST_F(OriginServerTest, StatusParameterSetsTheStatus) {
  EXPECT_EQ(get("/resource/a?status=404").status, 404);
  EXPECT_EQ(get("/resource/a?status=500").status, 500);
  HttpReply no_content = get("/resource/a?status=204");
  EXPECT_EQ(no_content.status, 204);
  EXPECT_TRUE(no_content.body.empty());
}

TEST_F(OriginServerTest, SetsCachingAndExtraHeaders) {
  HttpReply r = get(
      "/resource/a?cache_control=max-age%3D60%2C%20public&expires=Thu,%2001%20Jan%202099%2000:00:00"
      "%20GMT&header_X-Origin-Test=yes&header_Content-Type=text/x-test");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Cache-Control"), "max-age=60, public");
  EXPECT_EQ(r.header("Expires"), "Thu, 01 Jan 2099 00:00:00 GMT");
  EXPECT_EQ(r.header("X-Origin-Test"), "yes");
  EXPECT_EQ(r.header("Content-Type"), "text/x-test");
  EXPECT_EQ(r.headers.count("content-type"), 1u);
}

TEST_F(OriginServerTest, EtagAnswers304ToAMatchingIfNoneMatch) {
  const std::string path = "/resource/a?etag=%22v1%22&cache_control=max-age%3D5";
  HttpReply first = get(path);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.header("ETag"), "\"v1\"");

  HttpReply revalidated = get(path, {"If-None-Match: \"v1\""});
  EXPECT_EQ(revalidated.status, 304);
  EXPECT_TRUE(revalidated.body.empty());
  EXPECT_EQ(revalidated.header("ETag"), "\"v1\"");
  EXPECT_EQ(revalidated.header("Cache-Control"), "max-age=5");

  EXPECT_EQ(get(path, {"If-None-Match: \"v0\", W/\"v1\""}).status, 304);
  EXPECT_EQ(get(path, {"If-None-Match: \"v2\""}).status, 200);
  EXPECT_EQ(get("/resource/a", {"If-None-Match: \"v1\""}).status, 200);  // no etag: no 304
  EXPECT_EQ(get(path + "&status=200", {"If-None-Match: \"v1\""}).status, 200);
  EXPECT_EQ(origin_.hits("/resource/a"), 6);
}

TEST_F(OriginServerTest, LastModifiedAnswers304ToAnEqualIfModifiedSince) {
  const std::string path = "/resource/a?last_modified=Mon,%2002%20Jan%202006%2015:04:05%20GMT";
  HttpReply first = get(path);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.header("Last-Modified"), "Mon, 02 Jan 2006 15:04:05 GMT");
  EXPECT_EQ(get(path, {"If-Modified-Since: Mon, 02 Jan 2006 15:04:05 GMT"}).status, 304);
  EXPECT_EQ(get(path, {"If-Modified-Since: Tue, 03 Jan 2006 15:04:05 GMT"}).status, 200);
}

TEST_F(OriginServerTest, SizeGivesADeterministicBodyOfThatLength) {
  HttpReply a = get("/resource/big?size=100000");
  HttpReply b = get("/resource/big?size=100000");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body.size(), 100000u);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(get("/resource/big?size=0").body, "");
  HttpReply marked = get("/resource/big?size=10&marker=XYZ");
  EXPECT_EQ(marked.body.size(), 10u);
  EXPECT_EQ(marked.body.substr(0, 3), "XYZ");
}

TEST_F(OriginServerTest, MarkerAppearsInTheBody) {
  HttpReply r = get("/resource/a?marker=needle-42");
  EXPECT_NE(r.body.find("\"marker\":\"needle-42\""), std::string::npos) << r.body;
}

TEST_F(OriginServerTest, FailThenOk) {
  EXPECT_EQ(get("/fail-then-ok/x?n=2").status, 503);
  EXPECT_EQ(get("/fail-then-ok/x?n=2").status, 503);
  HttpReply ok = get("/fail-then-ok/x?n=2&cache_control=max-age%3D9");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("Cache-Control"), "max-age=9");
  EXPECT_EQ(get("/fail-then-ok/x?n=2").status, 200);
  EXPECT_EQ(get("/fail-then-ok/y").status, 503);  // n defaults to 1
  EXPECT_EQ(get("/fail-then-ok/y").status, 200);
  origin_.reset();  // counting starts again
  EXPECT_EQ(get("/fail-then-ok/y").status, 503);
}

TEST_F(OriginServerTest, CountsHitsPerPathAndResets) {
  get("/resource/a");
  get("/resource/a?delay_ms=0");
  get("/resource/b");
  get("/nowhere");
  EXPECT_EQ(origin_.hits("/resource/a"), 2);
  EXPECT_EQ(origin_.hits("/resource/b"), 1);
  EXPECT_EQ(origin_.hits("/resource/never"), 0);
  EXPECT_EQ(origin_.hits_json(), "{\"/resource/a\":2,\"/resource/b\":1}\n");
  EXPECT_EQ(get("/_hits/resource/a").body, "2\n");
  origin_.reset();
  EXPECT_EQ(origin_.hits("/resource/a"), 0);
  EXPECT_EQ(origin_.hits_json(), "{}\n");
  get("/resource/a");
  EXPECT_EQ(origin_.hits("/resource/a"), 1);
}

TEST_F(OriginServerTest, HangDoesNotAnswerAndDoesNotDelayTheStop) {
  HttpReply r = http_request("GET", origin_.url("/hang"), {}, milliseconds(500));
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(origin_.hits("/hang"), 1);
  auto pending = std::async(std::launch::async, [this] {
    return http_request("GET", origin_.url("/hang"), {}, milliseconds(30000));
  });
  while (origin_.hits("/hang") < 2) std::this_thread::sleep_for(milliseconds(10));
  const auto started = std::chrono::steady_clock::now();
  const int status = origin_.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(3000));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(pending.get().status, 200);
}

TEST_F(OriginServerTest, ShutdownRouteStopsTheProcess) {
  EXPECT_EQ(http_request("POST", origin_.url("/_shutdown")).status, 200);
  std::optional<int> status = origin_.wait_for_exit(milliseconds(5000));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

TEST(OriginProcessTest, StopsCleanlyOnSigterm) {
  OriginProcess origin = OriginProcess::start();
  EXPECT_GT(origin.port(), 0);
  EXPECT_EQ(origin.url("resource/a"), origin.base_url() + "/resource/a");
  const int status = origin.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(origin.running());
  EXPECT_EQ(origin.stop(), -1);
}

TEST(OriginProcessTest, FixedPort) {
  OriginProcess first = OriginProcess::start();
  const int port = first.port();
  first.stop();
  OriginProcess second = OriginProcess::start({"--port", std::to_string(port)});
  EXPECT_EQ(second.port(), port);
  EXPECT_EQ(http_request("GET", second.url("/resource/a")).status, 200);
}

TEST(OriginProcessTest, StartFailureThrows) {
  EXPECT_THROW(OriginProcess::start({"--no-such-option"}), std::runtime_error);
  EXPECT_THROW(OriginProcess::start("/nonexistent/cachedata_origin", {}), std::runtime_error);
}

}  // namespace
}  // namespace cachedata::testing
