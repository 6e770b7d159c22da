// The built-in HTTP fetcher against the real origin server (tools/origin, a separate process):
// deadlines, retries, redirects, content decoding, the body limit, the User-Agent, every method,
// connection reuse and use from many threads. The redirect rules are also tested on their own.
//
// Timing assertions leave room for a loaded 2-core machine under sanitizers: upper bounds are
// the deadline + 10 % (as the issue asks) or generous, lower bounds are asserted where they
// prove something (a Retry-After was waited for, a deadline was not cut short).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "aws/aws_http.hpp"
#include "cachedata/cache.hpp"
#include "cachedata/http_fetcher.hpp"
#include "http/redirect.hpp"
#include "support/origin_process.hpp"

namespace cachedata {
namespace {

using std::chrono::milliseconds;
using testing::OriginProcess;
using Clock = std::chrono::steady_clock;
using namespace std::string_literals;

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

// The deterministic bodies of the origin's /large and /gzip routes.
std::string pattern_bytes(size_t n, bool binary) {
  static constexpr std::string_view kPattern = "abcdefghijklmnopqrstuvwxyz0123456789\n";
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = binary ? static_cast<char>(i & 0xff) : kPattern[i % 37];
  return out;
}

std::string hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::string http_date_in(std::chrono::seconds from_now) {
  std::time_t t = std::time(nullptr) + from_now.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

class HttpFetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The origin is on 127.0.0.1: never reach it through a proxy the environment may name.
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  }
  void SetUp() override { origin_ = OriginProcess::start(); }

  // Options with short waits between retries, so retry tests are quick.
  static HttpFetcherOptions quick() {
    HttpFetcherOptions o;
    o.timeout = milliseconds(20000);
    o.retry.base_delay = milliseconds(10);
    o.retry.max_delay = milliseconds(50);
    return o;
  }

  Request request(const std::string& path, const std::string& method = "GET",
                  std::string body = {}) const {
    Request r = Request::get(origin_.url(path));
    r.method = method;
    r.body = std::move(body);
    return r;
  }

  Response fetch(const Request& r, const HttpFetcherOptions& o = quick()) const {
    return HttpFetcher(o)(r, Validators{});
  }
  Response fetch(const std::string& path, const HttpFetcherOptions& o = quick()) const {
    return fetch(request(path), o);
  }

  // The JSON of an /echo answer (fails the test if it is not one).
  static nlohmann::json echoed(const Response& r) {
    EXPECT_EQ(r.status_code, 200) << r.error;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j.is_discarded() ? nlohmann::json::object() : j;
  }

  OriginProcess origin_;
};

// ---- deadlines ----------------------------------------------------------------------------------

TEST_F(HttpFetcherTest, HangingOriginFailsWithinTheDeadline) {
  HttpFetcherOptions o = quick();
  o.timeout = milliseconds(2000);
  const auto t0 = Clock::now();
  Response r = fetch("/hang", o);
  const int64_t took = ms_since(t0);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(origin_.url("/hang")), std::string::npos) << r.error;
  EXPECT_GE(took, 1990);
  EXPECT_LE(took, 2200);                // deadline + 10 %
  EXPECT_EQ(origin_.hits("/hang"), 1);  // no time was left for a retry
}

TEST_F(HttpFetcherTest, AttemptTimeoutRetriesAHungAttemptWithinTheDeadline) {
  HttpFetcherOptions o = quick();
  o.timeout = milliseconds(1500);
  o.attempt_timeout = milliseconds(400);
  o.retry.max_attempts = 10;
  const auto t0 = Clock::now();
  Response r = fetch("/hang", o);
  const int64_t took = ms_since(t0);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  EXPECT_GE(origin_.hits("/hang"), 3);  // 400 ms each: at least three fit in 1500 ms
  EXPECT_GE(took, 1150);
  EXPECT_LE(took, 1650);  // deadline + 10 %
}

TEST_F(HttpFetcherTest, TricklingBodyCountsAgainstTheDeadline) {
  HttpFetcherOptions o = quick();
  o.timeout = milliseconds(1500);
  o.retry.max_attempts = 1;
  const auto t0 = Clock::now();
  // Headers at once, then 10 bytes every 100 ms for 3 s.
  Response r = fetch("/slow-body?chunks=30&interval_ms=100", o);
  const int64_t took = ms_since(t0);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("timed out after"), std::string::npos) << r.error;
  EXPECT_GE(took, 1490);
  EXPECT_LE(took, 1650);
  // Given the time, the same body arrives whole.
  o.timeout = milliseconds(20000);
  Response whole = fetch("/slow-body?chunks=5&interval_ms=50", o);
  EXPECT_EQ(whole.status_code, 200) << whole.error;
  EXPECT_EQ(whole.body, pattern_bytes(50, false));
}

TEST_F(HttpFetcherTest, RetriesStopWithinTheirTimeBudget) {
  HttpFetcherOptions o = quick();
  o.timeout = milliseconds(1500);
  o.retry.max_attempts = 100;
  o.retry.base_delay = milliseconds(50);
  o.retry.max_delay = milliseconds(200);
  const auto t0 = Clock::now();
  Response r = fetch("/status/503", o);
  const int64_t took = ms_since(t0);
  EXPECT_EQ(r.status_code, 503);  // the origin's last answer, a failure the cache never stores
  EXPECT_TRUE(r.is_failure());
  EXPECT_NE(r.error.find("no time left"), std::string::npos) << r.error;
  EXPECT_LE(took, 1650);
  EXPECT_GE(origin_.hits("/status/503"), 5);
  EXPECT_LT(origin_.hits("/status/503"), 100);
}

TEST_F(HttpFetcherTest, ErrorTextsNeverCarryTheQueryOrUserinfo) {
  HttpFetcherOptions o = quick();
  o.retry.max_attempts = 1;
  Response answered = fetch("/status/503?api_key=SECRET-QUERY-123", o);
  EXPECT_EQ(answered.status_code, 503);
  EXPECT_EQ(answered.error.find("SECRET-QUERY-123"), std::string::npos) << answered.error;
  EXPECT_NE(answered.error.find("/status/503?"), std::string::npos) << answered.error;
  Request refused = Request::get("http://user:SECRET-PASSWORD@127.0.0.1:1/x?token=SECRET-TOKEN");
  Response r = fetch(refused, o);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_EQ(r.error.find("SECRET-PASSWORD"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("SECRET-TOKEN"), std::string::npos) << r.error;
}

TEST_F(HttpFetcherTest, PerRequestOptionsOverrideTheDeadline) {
  HttpFetcherOptions o = quick();
  o.timeout = milliseconds(30000);
  o.per_request = [](const Request& r, HttpFetcherOptions& adjusted) {
    if (r.uri.find("/hang") != std::string::npos) adjusted.timeout = milliseconds(500);
  };
  HttpFetcher fetcher(o);
  const auto t0 = Clock::now();
  Response r = fetcher(request("/hang"), Validators{});
  const int64_t took = ms_since(t0);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("500 ms"), std::string::npos) << r.error;
  EXPECT_GE(took, 490);
  EXPECT_LE(took, 800);
  EXPECT_EQ(fetcher(request("/echo"), Validators{}).status_code, 200);
  // fetch() takes the options it is given, as they are.
  HttpFetcherOptions short_deadline = quick();
  short_deadline.timeout = milliseconds(300);
  const auto t1 = Clock::now();
  EXPECT_EQ(HttpFetcher::fetch(request("/hang"), Validators{}, short_deadline).status_code, 0);
  EXPECT_LE(ms_since(t1), 600);
}

TEST_F(HttpFetcherTest, ConnectionRefusedIsRetriedAndSaysSo) {
  const std::string url = origin_.url("/echo");
  origin_.stop();  // nothing listens on that port any more
  HttpFetcherOptions o = quick();
  o.retry.max_attempts = 3;
  const auto t0 = Clock::now();
  Response r = HttpFetcher(o)(Request::get(url), Validators{});
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("connection refused"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("3 attempts"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(url), std::string::npos) << r.error;
  EXPECT_LE(ms_since(t0), 5000);
}

// ---- retries ------------------------------------------------------------------------------------

TEST_F(HttpFetcherTest, Retries503UntilItSucceeds) {
  Response r = fetch("/fail-then-ok/a?n=2");
  EXPECT_EQ(r.status_code, 200) << r.error;
  EXPECT_NE(r.body.find("\"hit\":3"), std::string::npos) << r.body;
  EXPECT_EQ(origin_.hits("/fail-then-ok/a"), 3);
}

TEST_F(HttpFetcherTest, RetriesTheRedirectedRequestNotTheFirst) {
  Request r = request("/redirect/1");
  r.params = {{"to", "/fail-then-ok/h?n=2"}};
  Response answer = fetch(r);
  EXPECT_EQ(answer.status_code, 200) << answer.error;
  EXPECT_EQ(origin_.hits("/redirect/1"), 1);
  EXPECT_EQ(origin_.hits("/fail-then-ok/h"), 3);
  // max_attempts counts the tries of the call; following a redirect is not one.
  HttpFetcherOptions o = quick();
  o.retry.max_attempts = 2;
  r.params = {{"to", "/status/503"}};
  Response failed = fetch(r, o);
  EXPECT_EQ(failed.status_code, 503);
  EXPECT_NE(failed.error.find("2 attempts"), std::string::npos) << failed.error;
  EXPECT_EQ(origin_.hits("/redirect/1"), 2);
  EXPECT_EQ(origin_.hits("/status/503"), 2);
}

TEST_F(HttpFetcherTest, Retries429AfterItsRetryAfterSeconds) {
  const auto t0 = Clock::now();
  Response r = fetch("/fail-then-ok/b?n=1&fail_status=429&retry_after=1");
  const int64_t took = ms_since(t0);
  EXPECT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(origin_.hits("/fail-then-ok/b"), 2);
  EXPECT_GE(took, 990);  // the backoff alone would be <= 10 ms
  EXPECT_LE(took, 5000);
}

TEST_F(HttpFetcherTest, Retries503AfterItsRetryAfterDate) {
  // An HTTP-date 2 s ahead (whole seconds): a wait of more than 1 s.
  const std::string date = http_date_in(std::chrono::seconds(2));
  Request r = request("/fail-then-ok/c");
  r.params = {{"n", "1"}, {"retry_after", date}};
  const auto t0 = Clock::now();
  Response answer = fetch(r);
  const int64_t took = ms_since(t0);
  EXPECT_EQ(answer.status_code, 200) << answer.error;
  EXPECT_EQ(origin_.hits("/fail-then-ok/c"), 2);
  EXPECT_GE(took, 900);
  EXPECT_LE(took, 5000);
}

TEST_F(HttpFetcherTest, RetryAfterOverTheCapIsNotWaitedFor) {
  HttpFetcherOptions o = quick();
  o.retry.max_retry_after = milliseconds(5000);
  const auto t0 = Clock::now();
  Response r = fetch("/status/429?retry_after=3600", o);
  EXPECT_EQ(r.status_code, 429);
  EXPECT_NE(r.error.find("Retry-After"), std::string::npos) << r.error;
  EXPECT_EQ(r.headers.get("retry-after"), "3600");
  EXPECT_EQ(origin_.hits("/status/429"), 1);
  EXPECT_LE(ms_since(t0), 1000);
}

TEST_F(HttpFetcherTest, MalformedRetryAfterFallsBackToTheBackoff) {
  const auto t0 = Clock::now();
  Response r = fetch("/fail-then-ok/d?n=2&retry_after=soon");
  EXPECT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(origin_.hits("/fail-then-ok/d"), 3);
  EXPECT_LE(ms_since(t0), 2000);
}

TEST_F(HttpFetcherTest, DoesNotRetry4xxOr2xx) {
  for (int status : {400, 401, 403, 404, 409, 422}) {
    const std::string path = "/status/" + std::to_string(status);
    Response r = fetch(path);
    EXPECT_EQ(r.status_code, status);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(origin_.hits(path), 1) << path;
  }
  EXPECT_EQ(fetch("/status/201").status_code, 201);
  EXPECT_EQ(origin_.hits("/status/201"), 1);
}

TEST_F(HttpFetcherTest, GivesUpAfterMaxAttempts) {
  HttpFetcherOptions o = quick();
  o.retry.max_attempts = 4;
  Response r = fetch("/status/500", o);
  EXPECT_EQ(r.status_code, 500);
  EXPECT_NE(r.error.find("origin answered 500"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("4 attempts"), std::string::npos) << r.error;
  EXPECT_EQ(origin_.hits("/status/500"), 4);
  o.retry.max_attempts = 1;  // retries off
  EXPECT_EQ(fetch("/status/502", o).status_code, 502);
  EXPECT_EQ(origin_.hits("/status/502"), 1);
}

TEST_F(HttpFetcherTest, NonIdempotentMethodsAreRetriedOnlyWhenAllowed) {
  EXPECT_EQ(fetch(request("/fail-then-ok/e?n=1", "POST", "x")).status_code, 200);
  EXPECT_EQ(origin_.hits("/fail-then-ok/e"), 2);

  HttpFetcherOptions o = quick();
  o.retry.retry_non_idempotent = false;
  EXPECT_EQ(fetch(request("/status/503", "POST", "x"), o).status_code, 503);
  EXPECT_EQ(origin_.hits("/status/503"), 1);
  EXPECT_EQ(fetch(request("/status/503", "PUT", "x"), o).status_code, 503);  // idempotent
  EXPECT_EQ(origin_.hits("/status/503"), 4);
  // 429: the origin did not act on it.
  EXPECT_EQ(fetch(request("/fail-then-ok/f?n=1&fail_status=429", "POST", "x"), o).status_code, 200);
  EXPECT_EQ(origin_.hits("/fail-then-ok/f"), 2);
}

// ---- redirects ----------------------------------------------------------------------------------

TEST_F(HttpFetcherTest, RedirectLoopEndsWithAClearError) {
  HttpFetcherOptions o = quick();
  o.max_redirects = 5;
  Response r = fetch("/redirect-loop", o);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("too many redirects"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("max_redirects = 5"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(origin_.url("/redirect-loop")), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("loop"), std::string::npos) << r.error;
  EXPECT_EQ(origin_.hits("/redirect-loop"), 6);  // the request and 5 redirects, no retry
}

TEST_F(HttpFetcherTest, PermanentRedirectToARelativePathKeepsMethodAndBody) {
  const std::string body = "payload\0\x01\xff\x80 end"s;
  Request r = request("/redirect/2?code=308&relative=1&to=/echo", "POST", body);
  r.headers.add("Content-Type", "application/x-test");
  auto j = echoed(fetch(r));
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["body_hex"], hex(body));
  EXPECT_EQ(j["headers"]["content-type"], "application/x-test");
  EXPECT_EQ(origin_.hits("/redirect/2"), 1);
  EXPECT_EQ(origin_.hits("/redirect/1"), 1);
  EXPECT_EQ(origin_.hits("/echo"), 1);
}

TEST_F(HttpFetcherTest, FollowsPathRelativeAndAbsoluteLocations) {
  for (const char* relative : {"path", "1", "0"}) {
    origin_.reset();
    auto j = echoed(fetch("/redirect/3?code=307&to=/echo&relative="s + relative));
    EXPECT_EQ(j["path"], "/echo") << relative;
    EXPECT_EQ(j["method"], "GET");
    EXPECT_EQ(origin_.hits("/redirect/1"), 1) << relative;
  }
}

TEST_F(HttpFetcherTest, SeeOtherAfterPostBecomesGetWithoutBody) {
  Request r = request("/redirect/1?code=303&to=/echo", "POST", "form=data");
  r.headers.add("Content-Type", "application/x-www-form-urlencoded");
  r.headers.add("X-Kept", "yes");
  auto j = echoed(fetch(r));
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["body_size"], 0);
  EXPECT_FALSE(j["headers"].contains("content-type"));
  EXPECT_FALSE(j["headers"].contains("content-length"));
  EXPECT_EQ(j["headers"]["x-kept"], "yes");
}

TEST_F(HttpFetcherTest, MethodRulesOfEachRedirectStatus) {
  const struct {
    int code;
    const char* method;
    const char* expected_method;
    bool body_kept;
  } cases[] = {
      {301, "POST", "GET", false},     {302, "POST", "GET", false},   {303, "PUT", "GET", false},
      {303, "DELETE", "GET", false},   {301, "PUT", "PUT", true},     {302, "PATCH", "PATCH", true},
      {307, "POST", "POST", true},     {307, "PATCH", "PATCH", true}, {308, "PUT", "PUT", true},
      {308, "DELETE", "DELETE", true},
  };
  for (const auto& c : cases) {
    const std::string where = std::to_string(c.code) + " " + c.method;
    auto j = echoed(fetch(
        request("/redirect/1?code=" + std::to_string(c.code) + "&to=/echo", c.method, "the body")));
    EXPECT_EQ(j["method"], c.expected_method) << where;
    EXPECT_EQ(j["body"], c.body_kept ? "the body" : "") << where;
  }
  // HEAD stays HEAD, even after a 303.
  Response head = fetch(request("/redirect/1?code=303&to=/echo", "HEAD"));
  EXPECT_EQ(head.status_code, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(HttpFetcherTest, RedirectChainWithinAndOverTheLimit) {
  HttpFetcherOptions o = quick();
  o.max_redirects = 3;
  EXPECT_EQ(fetch("/redirect/3", o).status_code, 200);
  o.max_redirects = 2;
  Response r = fetch("/redirect/3", o);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("too many redirects"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(origin_.url("/redirect/3")), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("loop"), std::string::npos) << r.error;  // a chain, not a loop
  o.max_redirects = 0;
  EXPECT_EQ(fetch("/redirect/1", o).status_code, 0);
}

TEST_F(HttpFetcherTest, RedirectIsTheAnswerWhenNotFollowed) {
  HttpFetcherOptions o = quick();
  o.follow_redirects = false;
  Response r = fetch("/redirect/1?code=301&relative=1&to=/echo", o);
  EXPECT_EQ(r.status_code, 301);
  EXPECT_EQ(r.headers.get("location"), "/echo");
  EXPECT_EQ(origin_.hits("/echo"), 0);
  // A 3xx that is not a redirect to follow is an answer too.
  HttpFetcherOptions follow = quick();
  EXPECT_EQ(fetch("/redirect/1?code=300", follow).status_code, 300);
}

TEST_F(HttpFetcherTest, CredentialsDoNotFollowARedirectToAnotherOrigin) {
  const std::string other = "http://localhost:" + std::to_string(origin_.port()) + "/echo";
  for (const std::string& to : {other, "/echo"s}) {
    Request r = request("/redirect/1");
    r.params = {{"code", "302"}, {"to", to}};
    r.headers.add("Authorization", "Bearer secret");
    r.headers.add("Cookie", "session=1");
    r.headers.add("X-Kept", "yes");
    auto j = echoed(fetch(r));
    const bool same_origin = to == "/echo";
    EXPECT_EQ(j["headers"].contains("authorization"), same_origin) << to;
    EXPECT_EQ(j["headers"].contains("cookie"), same_origin) << to;
    EXPECT_EQ(j["headers"]["x-kept"], "yes");
  }
}

TEST(RedirectRulesTest, ResolvesLocations) {
  const std::string base = "http://h.example:8080/a/b/c?x=1";
  const struct {
    const char* location;
    const char* expected;  // nullptr: rejected
  } cases[] = {
      {"http://other/x", "http://other/x"},
      {"https://other:444/y?z=1#frag", "https://other:444/y?z=1"},
      {"/root?q=2", "http://h.example:8080/root?q=2"},
      {"d", "http://h.example:8080/a/b/d"},
      {"../e", "http://h.example:8080/a/e"},
      {"?only=query", "http://h.example:8080/a/b/c?only=query"},
      {"//cdn.example/z", "http://cdn.example/z"},
      {"ftp://files.example/x", nullptr},
      {"javascript:alert(1)", nullptr},
      {"", nullptr},
  };
  for (const auto& c : cases) {
    auto resolved = http::resolve_location(base, c.location);
    if (c.expected) {
      ASSERT_TRUE(resolved.has_value()) << c.location;
      EXPECT_EQ(*resolved, c.expected) << c.location;
    } else {
      EXPECT_FALSE(resolved.has_value()) << c.location << " -> " << *resolved;
    }
  }
  EXPECT_EQ(http::origin_of("http://H.example/x"), "http://h.example:80");
  EXPECT_EQ(http::origin_of("https://h.example/x"), "https://h.example:443");
}

TEST(RedirectRulesTest, RewritesTheNextRequest) {
  http::Hop post{"POST",
                 "http://a.example/form",
                 {{"Content-Type", "text/plain"}, {"Authorization", "x"}, {"X-Other", "1"}},
                 "body"};
  http::Hop see_other = http::redirected(post, 303, "http://a.example/result");
  EXPECT_EQ(see_other.method, "GET");
  EXPECT_EQ(see_other.body, "");
  EXPECT_EQ(see_other.url, "http://a.example/result");
  EXPECT_EQ(see_other.headers.size(), 2u);  // Content-Type gone, Authorization kept (same origin)

  http::Hop kept = http::redirected(post, 308, "http://a.example:80/elsewhere");
  EXPECT_EQ(kept.method, "POST");
  EXPECT_EQ(kept.body, "body");
  EXPECT_EQ(kept.headers.size(), 3u);

  http::Hop cross = http::redirected(post, 307, "https://a.example/form");  // another scheme
  EXPECT_EQ(cross.method, "POST");
  EXPECT_EQ(cross.headers.size(), 2u);  // Authorization dropped
  for (const auto& [name, value] : cross.headers) EXPECT_NE(name, "Authorization");

  http::Hop head{"HEAD", "http://a.example/", {}, ""};
  EXPECT_EQ(http::redirected(head, 303, "http://a.example/x").method, "HEAD");
  EXPECT_TRUE(http::is_followed_redirect(308));
  EXPECT_FALSE(http::is_followed_redirect(300));
  EXPECT_FALSE(http::is_followed_redirect(304));
  EXPECT_FALSE(http::is_followed_redirect(305));
}

// ---- content coding and bytes -------------------------------------------------------------------

TEST_F(HttpFetcherTest, DecodesGzipDeflateAndBrotliBodies) {
  const std::string expected = pattern_bytes(100000, true);
  for (const char* coding : {"gzip", "deflate", "br"}) {
    Response r = fetch("/"s + coding + "/x?size=100000&binary=1");
    ASSERT_EQ(r.status_code, 200) << coding << ": " << r.error;
    EXPECT_EQ(r.headers.get("x-origin-encoding"), coding);  // it did come encoded
    EXPECT_FALSE(r.headers.contains("content-encoding")) << coding;
    EXPECT_FALSE(r.headers.contains("content-length")) << coding;
    EXPECT_EQ(r.body.size(), expected.size()) << coding;
    EXPECT_TRUE(r.body == expected) << coding;
  }
  auto j = echoed(fetch("/echo"));
  const std::string accept = j["headers"]["accept-encoding"];
  for (const char* coding : {"gzip", "deflate", "br"}) {
    EXPECT_NE(accept.find(coding), std::string::npos) << accept;
  }
}

TEST_F(HttpFetcherTest, BinaryBodiesAreBytesBothWays) {
  // Identity coding: the bytes 0..255 repeated, NUL and high bytes included.
  Request get = request("/gzip/x?size=70000&binary=1");
  get.headers.add("Accept-Encoding", "identity");
  Response r = fetch(get);
  ASSERT_EQ(r.status_code, 200) << r.error;
  EXPECT_EQ(r.headers.get("x-origin-encoding"), "identity");
  EXPECT_EQ(r.headers.get("content-length"), "70000");
  EXPECT_TRUE(r.body == pattern_bytes(70000, true));

  // A request body with NUL and high bytes reaches the origin unchanged.
  std::string body = "\0\0start\xff\xfe\x80\r\n\0end"s;
  body += pattern_bytes(5000, true);
  auto j = echoed(fetch(request("/echo", "POST", body)));
  EXPECT_EQ(j["body_size"], body.size());
  EXPECT_EQ(j["body_hex"], hex(body));
}

TEST_F(HttpFetcherTest, DecompressOffKeepsTheEncodedBytes) {
  HttpFetcherOptions o = quick();
  o.decompress = false;
  EXPECT_FALSE(echoed(fetch("/echo", o))["headers"].contains("accept-encoding"));
  Request r = request("/gzip/x?size=1000");
  r.headers.add("Accept-Encoding", "gzip");
  Response raw = fetch(r, o);
  ASSERT_EQ(raw.status_code, 200) << raw.error;
  EXPECT_EQ(raw.headers.get("content-encoding"), "gzip");
  ASSERT_GE(raw.body.size(), 2u);
  EXPECT_EQ(raw.body.substr(0, 2), "\x1f\x8b");
  EXPECT_LT(raw.body.size(), 1000u);
}

// ---- body size ----------------------------------------------------------------------------------

TEST_F(HttpFetcherTest, BodyOverTheLimitFailsAndIsNotRetried) {
  HttpFetcherOptions o = quick();
  o.max_body_bytes = 1'000'000;
  // Announced by Content-Length: refused before the body is read.
  Response r = fetch("/large?size=2000000", o);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_TRUE(r.is_failure());
  EXPECT_TRUE(r.body.empty());
  EXPECT_NE(r.error.find("larger than the maximum body size"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("max_body_bytes = 1000000"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("Content-Length: 2000000"), std::string::npos) << r.error;
  EXPECT_EQ(origin_.hits("/large"), 1);
  // Chunked, with no length announced: stopped as it grows past the limit.
  Response chunked = fetch("/large?size=2000000&chunked=1", o);
  EXPECT_EQ(chunked.status_code, 0);
  EXPECT_NE(chunked.error.find("larger than the maximum body size"), std::string::npos)
      << chunked.error;
  // Small when compressed, large when decoded: the limit is on the decoded bytes.
  Response bomb = fetch("/gzip/x?size=2000000", o);
  EXPECT_EQ(bomb.status_code, 0);
  EXPECT_NE(bomb.error.find("larger than the maximum body size"), std::string::npos) << bomb.error;
  EXPECT_EQ(origin_.hits("/large"), 2);
  EXPECT_EQ(origin_.hits("/gzip/x"), 1);
  // Exactly at the limit is fine.
  EXPECT_EQ(fetch("/large?size=1000000", o).body.size(), 1'000'000u);
  EXPECT_EQ(fetch("/large?size=1000000&chunked=1", o).body.size(), 1'000'000u);
}

TEST_F(HttpFetcherTest, FetchesA50MegabyteBody) {
  constexpr size_t kSize = 50u << 20;
  Response r = fetch("/large?size=" + std::to_string(kSize));
  ASSERT_EQ(r.status_code, 200) << r.error;
  ASSERT_EQ(r.body.size(), kSize);
  const std::string expected = pattern_bytes(kSize, false);
  EXPECT_TRUE(r.body == expected);
}

// ---- what is sent -------------------------------------------------------------------------------

TEST_F(HttpFetcherTest, SendsTheDefaultUserAgentUnlessOneIsSet) {
  const std::string ua = echoed(fetch("/echo"))["headers"]["user-agent"];
  EXPECT_EQ(ua.rfind("cachedata/", 0), 0u) << ua;
  EXPECT_GT(ua.size(), std::string("cachedata/").size()) << ua;

  HttpFetcherOptions o = quick();
  o.user_agent = "my-app/2.0";
  EXPECT_EQ(echoed(fetch("/echo", o))["headers"]["user-agent"], "my-app/2.0");

  Request r = request("/echo");
  r.headers.add("user-agent", "from-the-request/1");
  EXPECT_EQ(echoed(fetch(r, o))["headers"]["user-agent"], "from-the-request/1");
}

TEST_F(HttpFetcherTest, EveryMethodReachesTheOriginWithItsBody) {
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    const std::string body = "body of "s + method + "\0\xff"s;
    Request r = request("/echo?m="s + method, method, body);
    r.headers.add("X-Custom", method);
    auto j = echoed(fetch(r));
    EXPECT_EQ(j["method"], method);
    EXPECT_EQ(j["query"], "m="s + method);
    EXPECT_EQ(j["body_hex"], hex(body)) << method;
    EXPECT_EQ(j["headers"]["x-custom"], method);
  }
  for (const char* method : {"GET", "OPTIONS", "DELETE"}) {
    auto j = echoed(fetch(request("/echo", method)));
    EXPECT_EQ(j["method"], method);
    EXPECT_EQ(j["body_size"], 0);
  }
  Response empty_post = fetch(request("/echo", "POST"));
  EXPECT_EQ(echoed(empty_post)["headers"]["content-length"], "0");

  Response head = fetch(request("/echo", "HEAD"));
  EXPECT_EQ(head.status_code, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(origin_.hits("/echo"), 9);
}

TEST_F(HttpFetcherTest, SendsTheValidatorsItIsGiven) {
  Validators v;
  v.etag = "W/\"v1\"";
  v.last_modified = "Mon, 02 Jan 2006 15:04:05 GMT";
  Request r = request("/echo");
  r.headers.add("If-None-Match", "\"stale\"");  // the cache's validators win
  auto j = echoed(HttpFetcher(quick())(r, v));
  EXPECT_EQ(j["headers"]["if-none-match"], "W/\"v1\"");
  EXPECT_EQ(j["headers"]["if-modified-since"], "Mon, 02 Jan 2006 15:04:05 GMT");
  // And a 304 comes back as it is.
  Response not_modified =
      HttpFetcher(quick())(request("/resource/a?etag=%22v1%22"), Validators{"\"v1\"", ""});
  EXPECT_EQ(not_modified.status_code, 304);
  EXPECT_TRUE(not_modified.is_not_modified());
}

TEST_F(HttpFetcherTest, RejectsWhatCannotGoOnTheWire) {
  Response bad_method = fetch(request("/echo", "GE T"));
  EXPECT_EQ(bad_method.status_code, 0);
  EXPECT_NE(bad_method.error.find("invalid HTTP method"), std::string::npos) << bad_method.error;
  Request injected = request("/echo");
  injected.headers.add("X-Evil", "a\r\nX-Injected: 1");
  Response bad_header = fetch(injected);
  EXPECT_EQ(bad_header.status_code, 0);
  EXPECT_NE(bad_header.error.find("X-Evil"), std::string::npos) << bad_header.error;
  EXPECT_EQ(origin_.hits("/echo"), 0);
}

TEST_F(HttpFetcherTest, InvalidOptionsAreReportedByEveryCall) {
  HttpFetcherOptions o = quick();
  o.retry.max_attempts = 0;
  EXPECT_FALSE(o.validate());
  Response r = HttpFetcher(o)(request("/echo"), Validators{});
  EXPECT_EQ(r.status_code, 0);
  EXPECT_NE(r.error.find("retry.max_attempts"), std::string::npos) << r.error;
  HttpFetcherOptions negative = quick();
  negative.timeout = milliseconds(-1);
  EXPECT_NE(negative.validate().message().find("timeout"), std::string::npos);
  EXPECT_TRUE(HttpFetcherOptions{}.validate());
  EXPECT_EQ(origin_.hits("/echo"), 0);
}

// ---- connections and threads --------------------------------------------------------------------

TEST_F(HttpFetcherTest, SequentialCallsReuseOneConnection) {
  HttpFetcher fetcher(quick());
  auto first = echoed(fetcher(request("/echo"), Validators{}));
  auto second = echoed(fetcher(request("/echo"), Validators{}));
  auto third = echoed(fetcher(request("/echo", "POST", "x"), Validators{}));
  EXPECT_EQ(first["remote_port"], second["remote_port"]);
  EXPECT_EQ(first["remote_port"], third["remote_port"]);
}

TEST_F(HttpFetcherTest, ManyThreadsAtOnce) {
  constexpr int kThreads = 4;
  constexpr int kCalls = 50;
  HttpFetcher fetcher(quick());
  std::vector<std::vector<int>> ports(kThreads);
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        Response r = fetcher(request("/echo?id=" + id, "POST", "body-" + id), Validators{});
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        if (r.status_code != 200 || j.is_discarded() || j["query"] != "id=" + id ||
            j["body"] != "body-" + id) {
          ++failures[t];
          continue;
        }
        ports[t].push_back(j["remote_port"].get<int>());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int> distinct;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    distinct.insert(ports[t].begin(), ports[t].end());
  }
  EXPECT_EQ(origin_.hits("/echo"), kThreads * kCalls);
  // One kept-alive connection per thread, give or take a reconnect: far fewer than 200.
  EXPECT_LE(distinct.size(), 2u * kThreads);
}

// Every call on a thread reuses the thread's libcurl handle, and the handle is not reset between
// requests (only what a request sets is set back: http/easy_handle.hpp). So nothing of one
// request may reach the next: not its method, body, custom method, headers, validators,
// decoding, User-Agent or deadline. All on this one thread, so on one handle.
// The fetcher and the AWS clients share one transport (http/easy_handle.hpp) but not a handle:
// what one kind of caller sets (a User-Agent, decoding, a form body) never reaches the other's
// requests on the same thread.
TEST_F(HttpFetcherTest, TheAwsExchangeOnTheSameThreadGetsNoneOfTheFetchersOptions) {
  Request post = request("/echo", "POST", "a=1");
  post.headers.add("X-Custom", "fetcher");
  EXPECT_EQ(echoed(fetch(post))["method"], "POST");

  aws::HttpExchange get;
  get.url = origin_.url("/echo");
  get.no_proxy = true;
  aws::HttpReply got = aws::http_exchange(get);
  ASSERT_EQ(got.code, CURLE_OK) << got.error;
  auto j = nlohmann::json::parse(got.body);
  EXPECT_EQ(j["method"], "GET");
  for (const char* name : {"user-agent", "accept-encoding", "x-custom", "content-type", "expect"}) {
    EXPECT_FALSE(j["headers"].contains(name)) << name;
  }

  // A PUT without a type is sent without one (not libcurl's form type), as S3 must store it.
  aws::HttpExchange put;
  put.method = "PUT";
  put.url = origin_.url("/echo");
  put.body = "object";
  put.no_proxy = true;
  got = aws::http_exchange(put);
  ASSERT_EQ(got.code, CURLE_OK) << got.error;
  j = nlohmann::json::parse(got.body);
  EXPECT_EQ(j["method"], "PUT");
  EXPECT_EQ(j["body"], "object");
  EXPECT_FALSE(j["headers"].contains("content-type"));

  // And the fetcher's next request still has its own defaults.
  auto after = echoed(fetch("/echo"));
  EXPECT_EQ(after["method"], "GET");
  EXPECT_TRUE(after["headers"].contains("accept-encoding"));
  EXPECT_EQ(std::string(after["headers"]["user-agent"]).rfind("cachedata/", 0), 0u);
  EXPECT_FALSE(after["headers"].contains("x-custom"));
}

TEST_F(HttpFetcherTest, NothingLeaksIntoTheNextRequest) {
  auto plain_get = [&](const std::string& after) {
    auto j = echoed(fetch("/echo"));
    EXPECT_EQ(j["method"], "GET") << "after " << after;
    EXPECT_EQ(j["body_size"], 0) << "after " << after;
    for (const char* name : {"content-type", "content-length", "expect", "x-custom",
                             "authorization", "if-none-match", "if-modified-since"}) {
      EXPECT_FALSE(j["headers"].contains(name)) << name << " after " << after;
    }
    EXPECT_TRUE(j["headers"].contains("accept-encoding")) << "after " << after;
    EXPECT_EQ(std::string(j["headers"]["user-agent"]).rfind("cachedata/", 0), 0u)
        << "after " << after;
  };

  // A POST with a body and headers, then a GET: no body, no POST, none of its headers.
  Request post = request("/echo", "POST", "a=1&b=2");
  post.headers.add("X-Custom", "post");
  post.headers.add("Content-Type", "application/x-www-form-urlencoded");
  post.headers.add("Authorization", "Bearer secret");
  auto posted = echoed(fetch(post));
  EXPECT_EQ(posted["method"], "POST");
  EXPECT_EQ(posted["body"], "a=1&b=2");
  plain_get("a POST with a body");

  // Custom methods with and without a body, then a GET.
  auto put = echoed(fetch(request("/echo", "PUT", "put body")));
  EXPECT_EQ(put["method"], "PUT");
  EXPECT_EQ(put["body"], "put body");
  auto deleted = echoed(fetch(request("/echo", "DELETE")));
  EXPECT_EQ(deleted["method"], "DELETE");  // after a PUT: no body, not PUT
  EXPECT_EQ(deleted["body_size"], 0);
  plain_get("a DELETE");
  auto options = echoed(fetch(request("/echo", "OPTIONS")));
  EXPECT_EQ(options["method"], "OPTIONS");
  auto empty_post = echoed(fetch(request("/echo", "POST")));
  EXPECT_EQ(empty_post["method"], "POST");
  EXPECT_EQ(empty_post["headers"]["content-length"], "0");
  plain_get("an empty POST");

  // A HEAD (no body wanted), then a GET that must get its body.
  Response head = fetch(request("/resource/h?size=100", "HEAD"));
  EXPECT_EQ(head.status_code, 200);
  EXPECT_TRUE(head.body.empty());
  Response got = fetch(request("/resource/h?size=100"));
  EXPECT_EQ(got.status_code, 200);
  EXPECT_EQ(got.body.size(), 100u);
  plain_get("a HEAD");

  // A revalidation (304), then a plain GET: no If-None-Match / If-Modified-Since.
  Response not_modified = HttpFetcher(quick())(
      request("/resource/r?etag=%22v1%22"), Validators{"\"v1\"", "Mon, 02 Jan 2006 15:04:05 GMT"});
  EXPECT_EQ(not_modified.status_code, 304);
  Response fresh = fetch(request("/resource/r?etag=%22v1%22"));
  EXPECT_EQ(fresh.status_code, 200);
  EXPECT_FALSE(fresh.body.empty());
  plain_get("a 304 revalidation");

  // Credentials in the URL (Basic auth), then a URL without them.
  std::string with_userinfo = origin_.url("/echo");
  with_userinfo.insert(with_userinfo.find("://") + 3, "user:pw@");
  auto authed = echoed(fetch(Request::get(with_userinfo)));
  EXPECT_EQ(authed["headers"]["authorization"], "Basic dXNlcjpwdw==");
  plain_get("a URL with credentials");

  // The same header with another value, then without it.
  for (const char* value : {"one", "two"}) {
    Request r = request("/echo");
    r.headers.add("X-Custom", value);
    EXPECT_EQ(echoed(fetch(r))["headers"]["x-custom"], value);
  }
  plain_get("a custom header");

  // No decoding and another User-Agent, then the defaults again.
  HttpFetcherOptions raw = quick();
  raw.decompress = false;
  raw.user_agent = "other/1";
  auto j = echoed(fetch("/echo", raw));
  EXPECT_FALSE(j["headers"].contains("accept-encoding"));
  EXPECT_EQ(j["headers"]["user-agent"], "other/1");
  plain_get("decompress = false and another user_agent");

  // A request's own User-Agent, then none.
  Request own = request("/echo");
  own.headers.add("User-Agent", "own/1");
  EXPECT_EQ(echoed(fetch(own))["headers"]["user-agent"], "own/1");
  plain_get("a request's own User-Agent");

  // A short deadline that fails, then a call with the default deadline on the same slow route:
  // the first call's timeout is not the second's, nor is its error text.
  HttpFetcherOptions hurried = quick();
  hurried.timeout = milliseconds(300);
  hurried.retry.max_attempts = 1;
  Response late = fetch("/echo?delay_ms=1000", hurried);
  EXPECT_EQ(late.status_code, 0);
  EXPECT_NE(late.error.find("timed out"), std::string::npos) << late.error;
  Response patient = fetch("/echo?delay_ms=1000");
  EXPECT_EQ(patient.status_code, 200) << patient.error;
  EXPECT_TRUE(patient.error.empty()) << patient.error;
  plain_get("a timed-out call");
}

// ---- through the cache --------------------------------------------------------------------------

TEST_F(HttpFetcherTest, ServesCacheGetWithRetriesBehindIt) {
  Config config;
  config.store = Config::StoreKind::kMemoryOnly;
  config.log_level = LogLevel::kOff;
  auto cache = Cache::open(config).value();
  Profile profile;
  HttpFetcher fetcher(quick());
  Request r = request("/fail-then-ok/g?n=1&marker=cached");
  GetResult first = cache->get(profile, r, fetcher);
  EXPECT_EQ(first.status_code(), 200) << first.error();
  EXPECT_NE(first.body().find("cached"), std::string::npos);
  GetResult second = cache->get(profile, r, fetcher);
  EXPECT_EQ(second.body(), first.body());
  EXPECT_EQ(origin_.hits("/fail-then-ok/g"), 2);  // one failure retried, then the cache
}

}  // namespace
}  // namespace cachedata
