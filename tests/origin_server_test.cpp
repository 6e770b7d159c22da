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
#include <nlohmann/json.hpp>

#include "support/origin_process.hpp"

namespace cachedata::testing {
namespace {

using std::chrono::milliseconds;
using namespace std::string_literals;

// The deterministic body of /large, /gzip/... and /slow-body (see tools/origin/origin_server.cpp).
std::string pattern_bytes(size_t n, bool binary) {
  static constexpr std::string_view kPattern = "abcdefghijklmnopqrstuvwxyz0123456789\n";
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = binary ? static_cast<char>(i & 0xff) : kPattern[i % 37];
  return out;
}

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

TEST_F(OriginServerTest, EchoReturnsWhatTheClientSent) {
  const std::string body = "a\0b\xff\x80\"\\\n"s;
  HttpReply r = http_request("PUT", origin_.url("/echo?x=1&y=%20"),
                             {"X-Test: one", "Content-Type: application/x-test"},
                             std::chrono::seconds(30), body);
  ASSERT_EQ(r.status, 200) << r.error;
  auto j = nlohmann::json::parse(r.body);  // valid JSON whatever the bytes
  EXPECT_EQ(j["method"], "PUT");
  EXPECT_EQ(j["path"], "/echo");
  EXPECT_EQ(j["query"], "x=1&y=%20");
  EXPECT_EQ(j["headers"]["x-test"], "one");
  EXPECT_EQ(j["headers"]["content-type"], "application/x-test");
  EXPECT_FALSE(j["headers"].contains("remote_addr"));
  EXPECT_EQ(j["body_size"], body.size());
  EXPECT_EQ(j["body_hex"], "610062ff80225c0a");
  EXPECT_EQ(j["body"], "a\0b\u00ff\u0080\"\\\n"s);  // bytes >= 0x80 read as Latin-1
  EXPECT_GT(j["remote_port"].get<int>(), 0);
  EXPECT_EQ(j["hit"], 1);
  for (const char* method : {"GET", "POST", "DELETE", "PATCH", "OPTIONS"}) {
    HttpReply m = http_request(method, origin_.url("/echo"));
    EXPECT_EQ(nlohmann::json::parse(m.body)["method"], method);
  }
  EXPECT_EQ(http_request("HEAD", origin_.url("/echo")).status, 200);
  EXPECT_EQ(get("/echo?status=503").status, 503);
  EXPECT_EQ(origin_.hits("/echo"), 8);
}

TEST_F(OriginServerTest, RedirectChainsWithAbsoluteAndRelativeLocations) {
  HttpReply absolute = get("/redirect/3?code=301");
  EXPECT_EQ(absolute.status, 301);
  EXPECT_EQ(absolute.header("Location"), origin_.url("/redirect/2?code=301"));
  HttpReply path_absolute = get("/redirect/2?relative=1&code=308");
  EXPECT_EQ(path_absolute.status, 308);
  EXPECT_EQ(path_absolute.header("Location"), "/redirect/1?relative=1&code=308");
  EXPECT_EQ(get("/redirect/2?relative=path").header("Location"), "1?relative=path");
  // The last step goes to `to` (default /echo).
  EXPECT_EQ(get("/redirect/1").header("Location"), origin_.url("/echo"));
  EXPECT_EQ(get("/redirect/1?to=/resource/a&relative=1").header("Location"), "/resource/a");
  EXPECT_EQ(get("/redirect/1?to=/resource/a&relative=path").header("Location"), "../resource/a");
  EXPECT_EQ(get("/redirect/1?to=http://elsewhere.test/x").header("Location"),
            "http://elsewhere.test/x");
  HttpReply post = http_request("POST", origin_.url("/redirect/1?code=307"));
  EXPECT_EQ(post.status, 307);
  EXPECT_EQ(get("/redirect/0").status, 400);
  EXPECT_EQ(get("/redirect/1?code=200").status, 400);
  EXPECT_EQ(get("/redirect/1?to=nowhere").status, 400);
  EXPECT_EQ(origin_.hits("/redirect/1"), 7);
}

TEST_F(OriginServerTest, RedirectLoopPointsAtItself) {
  HttpReply r = get("/redirect-loop?code=307");
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(r.header("Location"), "/redirect-loop?code=307");
  EXPECT_EQ(get("/redirect-loop").status, 302);
  EXPECT_EQ(origin_.hits("/redirect-loop"), 2);
}

TEST_F(OriginServerTest, EncodedRoutesFollowAcceptEncoding) {
  const std::string plain = pattern_bytes(5000, true);
  HttpReply identity = get("/gzip/a?size=5000&binary=1");
  EXPECT_EQ(identity.header("X-Origin-Encoding"), "identity");
  EXPECT_TRUE(identity.header("Content-Encoding").empty());
  EXPECT_TRUE(identity.body == plain);
  EXPECT_EQ(identity.header("Vary"), "Accept-Encoding");

  HttpReply gzip = get("/gzip/a?size=5000&binary=1", {"Accept-Encoding: br, gzip"});
  EXPECT_EQ(gzip.header("Content-Encoding"), "gzip");
  EXPECT_EQ(gzip.header("X-Origin-Encoding"), "gzip");
  EXPECT_EQ(gzip.body.substr(0, 2), "\x1f\x8b");
  HttpReply deflate = get("/deflate/a?size=5000", {"Accept-Encoding: deflate"});
  EXPECT_EQ(deflate.header("Content-Encoding"), "deflate");
  ASSERT_FALSE(deflate.body.empty());
  EXPECT_EQ(deflate.body[0], '\x78');  // the zlib format
  EXPECT_LT(deflate.body.size(), 5000u);
  HttpReply br = get("/br/a?size=5000", {"Accept-Encoding: *"});
  EXPECT_EQ(br.header("Content-Encoding"), "br");
  EXPECT_LT(br.body.size(), 5000u);
  // q=0 refuses a coding.
  EXPECT_EQ(get("/gzip/a", {"Accept-Encoding: gzip;q=0, br"}).header("X-Origin-Encoding"),
            "identity");
  EXPECT_EQ(get("/gzip/a").body.size(), 4096u);  // the default size
}

TEST_F(OriginServerTest, LargeStreamsADeterministicBody) {
  HttpReply r = get("/large?size=3000000");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("Content-Length"), "3000000");
  EXPECT_TRUE(r.body == pattern_bytes(3000000, false));
  HttpReply chunked = get("/large?size=200000&chunked=1&binary=1");
  EXPECT_EQ(chunked.header("Transfer-Encoding"), "chunked");
  EXPECT_TRUE(chunked.header("Content-Length").empty());
  EXPECT_TRUE(chunked.body == pattern_bytes(200000, true));
  EXPECT_EQ(get("/large").body.size(), 1u << 20);
  EXPECT_EQ(get("/large?size=0").body.size(), 0u);
  EXPECT_EQ(get("/large?size=-1").status, 400);
  EXPECT_EQ(origin_.hits("/large"), 5);
}

TEST_F(OriginServerTest, StatusRouteAnswersAnyStatusWithRetryAfter) {
  HttpReply unavailable = get("/status/503?retry_after=7");
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(unavailable.header("Retry-After"), "7");
  EXPECT_EQ(unavailable.body, "{\"status\":503,\"hit\":1}\n");
  HttpReply date = get("/status/429?retry_after=Wed,%2021%20Oct%202015%2007:28:00%20GMT");
  EXPECT_EQ(date.status, 429);
  EXPECT_EQ(date.header("Retry-After"), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(get("/status/429?retry_after=garbage").header("Retry-After"), "garbage");
  EXPECT_TRUE(get("/status/404").header("Retry-After").empty());
  EXPECT_EQ(http_request("DELETE", origin_.url("/status/410")).status, 410);
  HttpReply no_content = get("/status/204");
  EXPECT_EQ(no_content.status, 204);
  EXPECT_TRUE(no_content.body.empty());
  EXPECT_EQ(get("/status/600").status, 400);
  EXPECT_EQ(origin_.hits("/status/429"), 2);
  EXPECT_EQ(origin_.hits("/status/503"), 1);
}

TEST_F(OriginServerTest, SlowBodySendsHeadersThenTrickles) {
  get("/resource/warm-up");
  HttpReply r = get("/slow-body?chunks=5&chunk_size=4&interval_ms=100");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, pattern_bytes(20, false));
  EXPECT_GE(r.elapsed, milliseconds(390));  // four pauses between five pieces
  EXPECT_LT(r.elapsed, milliseconds(3000));
  // The headers come first: a client with a short deadline gets a partial body.
  HttpReply cut = http_request("GET", origin_.url("/slow-body?chunks=20&interval_ms=100"), {},
                               milliseconds(500));
  EXPECT_EQ(cut.status, 0);
  EXPECT_FALSE(cut.body.empty());
  EXPECT_LT(cut.body.size(), 200u);
}

TEST_F(OriginServerTest, FailThenOkWithAChosenStatusAndRetryAfter) {
  HttpReply first = get("/fail-then-ok/r?n=1&fail_status=429&retry_after=2");
  EXPECT_EQ(first.status, 429);
  EXPECT_EQ(first.header("Retry-After"), "2");
  HttpReply second = get("/fail-then-ok/r?n=1&fail_status=429&retry_after=2");
  EXPECT_EQ(second.status, 200);
  EXPECT_TRUE(second.header("Retry-After").empty());
  EXPECT_EQ(http_request("POST", origin_.url("/fail-then-ok/p")).status, 503);
  EXPECT_EQ(get("/fail-then-ok/q?fail_status=200").status, 400);
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
