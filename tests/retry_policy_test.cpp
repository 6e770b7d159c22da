// The HTTP fetcher's retry policy, without a server: which statuses and libcurl errors are
// retried, the bounds of exponential backoff with full jitter, Retry-After parsing (delta-seconds,
// the three HTTP-date forms, malformed values) and the decision to retry or stop.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>

#include "core/cache_control.hpp"
#include "http/retry_policy.hpp"

namespace cachedata::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

TEST(RetryPolicyTest, RetriesOnly5xxAnd429) {
  for (int status : {429, 500, 501, 502, 503, 504, 599}) {
    EXPECT_TRUE(is_retryable_status(status)) << status;
  }
  for (int status : {0,   100, 200, 201, 204, 206, 301, 302, 304, 307, 308, 400,
                     401, 403, 404, 405, 409, 410, 413, 422, 428, 431, 600}) {
    EXPECT_FALSE(is_retryable_status(status)) << status;
  }
}

TEST(RetryPolicyTest, RetriesConnectionErrorsAndTimeoutsOnly) {
  for (CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT,
                        CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
                        CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2_STREAM}) {
    EXPECT_TRUE(is_retryable_curl_error(code)) << curl_easy_strerror(code);
  }
  for (CURLcode code :
       {CURLE_OK, CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_WRITE_ERROR,
        CURLE_TOO_MANY_REDIRECTS, CURLE_PEER_FAILED_VERIFICATION, CURLE_BAD_CONTENT_ENCODING,
        CURLE_ABORTED_BY_CALLBACK, CURLE_FILESIZE_EXCEEDED, CURLE_OUT_OF_MEMORY}) {
    EXPECT_FALSE(is_retryable_curl_error(code)) << curl_easy_strerror(code);
  }
  EXPECT_TRUE(failed_before_sending(CURLE_COULDNT_CONNECT));
  EXPECT_FALSE(failed_before_sending(CURLE_OPERATION_TIMEDOUT));  // it may have been received
  EXPECT_FALSE(failed_before_sending(CURLE_RECV_ERROR));
}

TEST(RetryPolicyTest, IdempotentMethods) {
  for (const char* m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    EXPECT_TRUE(is_idempotent_method(m)) << m;
  }
  for (const char* m : {"POST", "PATCH", "CONNECT", "get", "QUERY"}) {
    EXPECT_FALSE(is_idempotent_method(m)) << m;
  }
}

TEST(RetryPolicyTest, BackoffCeilingDoublesUpToTheCap) {
  const milliseconds base(100), cap(2000);
  const struct {
    int retry;
    int64_t ceiling_ms;
  } cases[] = {{0, 0},
               {-3, 0},
               {1, 100},
               {2, 200},
               {3, 400},
               {4, 800},
               {5, 1600},
               {6, 2000},
               {7, 2000},
               {64, 2000},
               {65, 2000},
               {1000, 2000},
               {std::numeric_limits<int>::max(), 2000}};
  for (const auto& c : cases) {
    EXPECT_EQ(backoff_ceiling(c.retry, base, cap), milliseconds(c.ceiling_ms)) << c.retry;
  }
  EXPECT_EQ(backoff_ceiling(3, milliseconds(0), cap), milliseconds(0));  // no waiting at all
  EXPECT_EQ(backoff_ceiling(1, milliseconds(300), milliseconds(300)), milliseconds(300));
  EXPECT_EQ(backoff_ceiling(40, milliseconds(1), milliseconds(std::numeric_limits<int64_t>::max())),
            milliseconds(int64_t{1} << 39));
}

TEST(RetryPolicyTest, FullJitterStaysInZeroToCeiling) {
  const milliseconds ceiling(1000);
  EXPECT_EQ(full_jitter(ceiling, 0), milliseconds(0));
  EXPECT_EQ(full_jitter(ceiling, 1000), milliseconds(1000));
  EXPECT_EQ(full_jitter(ceiling, 1001), milliseconds(0));
  EXPECT_LE(full_jitter(ceiling, std::numeric_limits<uint64_t>::max()), ceiling);
  EXPECT_EQ(full_jitter(milliseconds(0), 12345), milliseconds(0));
  EXPECT_EQ(full_jitter(milliseconds(-5), 12345), milliseconds(0));

  // Uniform over the whole range: short and long waits both occur, the mean is about half.
  std::mt19937_64 rng(42);
  int64_t sum = 0, lowest = ceiling.count(), highest = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    const milliseconds d = full_jitter(ceiling, rng());
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d, ceiling);
    sum += d.count();
    lowest = std::min(lowest, d.count());
    highest = std::max(highest, d.count());
  }
  EXPECT_NEAR(static_cast<double>(sum) / kDraws, 500.0, 25.0);
  EXPECT_LT(lowest, 10);
  EXPECT_GT(highest, 990);
}

TEST(RetryPolicyTest, ParsesRetryAfter) {
  // 2026-01-15T12:00:00Z
  const system_clock::time_point now{seconds(1768478400)};
  const struct {
    const char* value;
    std::optional<int64_t> wait_ms;  // nullopt: malformed
  } cases[] = {
      {"0", 0},
      {"1", 1000},
      {"120", 120000},
      {" 5 ", 5000},
      {"\t7\t", 7000},
      {"007", 7000},
      {"99999999999999999999999999", kMaxRetryAfterSeconds * 1000},  // clamped, no overflow
      {"2147483649", kMaxRetryAfterSeconds * 1000},
      // HTTP-dates: IMF-fixdate, RFC 850, asctime.
      {"Thu, 15 Jan 2026 12:00:30 GMT", 30000},
      {"Thursday, 15-Jan-26 12:01:00 GMT", 60000},
      {"Thu Jan 15 12:00:02 2026", 2000},
      {"Thu, 15 Jan 2026 12:00:00 GMT", 0},
      {"Thu, 15 Jan 2026 11:00:00 GMT", 0},  // in the past: retry now
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
      // Malformed: the fetcher falls back to its backoff.
      {"", std::nullopt},
      {"   ", std::nullopt},
      {"-1", std::nullopt},
      {"+5", std::nullopt},
      {"1.5", std::nullopt},
      {"5s", std::nullopt},
      {"5 6", std::nullopt},
      {"soon", std::nullopt},
      {"0x10", std::nullopt},
      {"Thu, 15 Jan 2026 12:00:30 GMT junk", std::nullopt},
      {"Thu, 32 Jan 2026 12:00:30 GMT", std::nullopt},
      {"15 Jan 2026", std::nullopt},
  };
  for (const auto& c : cases) {
    auto wait = parse_retry_after(c.value, now);
    if (c.wait_ms) {
      ASSERT_TRUE(wait.has_value()) << "'" << c.value << "'";
      EXPECT_EQ(wait->count(), *c.wait_ms) << "'" << c.value << "'";
    } else {
      EXPECT_FALSE(wait.has_value()) << "'" << c.value << "' gave " << wait->count();
    }
  }
  // A date with a sub-second `now`: the wait is measured from now exactly.
  EXPECT_EQ(parse_retry_after("Thu, 15 Jan 2026 12:00:01 GMT", now + milliseconds(250)),
            milliseconds(750));
}

TEST(RetryPolicyTest, ParsingGarbageNeverCrashes) {
  const system_clock::time_point now{seconds(1768478400)};
  std::mt19937 rng(7);
  using namespace std::string_literals;
  const std::string alphabet = "0123456789 ,:-+.GMTJanThu\t\r\n\0\xff"s;
  for (int i = 0; i < 5000; ++i) {
    std::string value(rng() % 40, ' ');
    for (char& c : value) c = alphabet[rng() % alphabet.size()];
    auto wait = parse_retry_after(value, now);
    if (wait) {
      EXPECT_GE(wait->count(), 0) << value;
    }
  }
}

TEST(RetryPolicyTest, DecidesBetweenBackoffRetryAfterAndStopping) {
  RetryOptions o;
  o.max_attempts = 3;
  o.base_delay = milliseconds(100);
  o.max_delay = milliseconds(1000);
  o.max_retry_after = milliseconds(5000);
  const milliseconds plenty(60000);

  // Backoff with full jitter: within the ceiling of that retry.
  for (uint64_t r : {uint64_t{0}, uint64_t{77}, uint64_t{12345}, ~uint64_t{0}}) {
    RetryDecision d1 = decide_retry(o, 1, std::nullopt, plenty, r);
    ASSERT_TRUE(d1.retry());
    EXPECT_LE(d1.delay, milliseconds(100));
    RetryDecision d2 = decide_retry(o, 2, std::nullopt, plenty, r);
    ASSERT_TRUE(d2.retry());
    EXPECT_LE(d2.delay, milliseconds(200));
  }
  // Out of attempts.
  EXPECT_EQ(decide_retry(o, 3, std::nullopt, plenty, 0).stop, RetryDecision::Stop::kOutOfAttempts);
  EXPECT_EQ(decide_retry(o, 3, milliseconds(0), plenty, 0).stop,
            RetryDecision::Stop::kOutOfAttempts);
  o.max_attempts = 1;
  EXPECT_EQ(decide_retry(o, 1, std::nullopt, plenty, 0).stop, RetryDecision::Stop::kOutOfAttempts);
  o.max_attempts = 3;

  // Retry-After is waited for exactly (no jitter), up to the cap.
  RetryDecision ra = decide_retry(o, 1, milliseconds(2000), plenty, 999);
  ASSERT_TRUE(ra.retry());
  EXPECT_EQ(ra.delay, milliseconds(2000));
  EXPECT_EQ(decide_retry(o, 1, milliseconds(5000), plenty, 0).delay, milliseconds(5000));
  RetryDecision too_long = decide_retry(o, 1, milliseconds(5001), plenty, 0);
  EXPECT_EQ(too_long.stop, RetryDecision::Stop::kRetryAfterTooLong);
  EXPECT_EQ(too_long.delay, milliseconds(5001));
  EXPECT_TRUE(decide_retry(o, 1, milliseconds(0), plenty, 0).retry());

  // A wait that would reach the deadline is not made.
  EXPECT_EQ(decide_retry(o, 1, milliseconds(2000), milliseconds(2000), 0).stop,
            RetryDecision::Stop::kNoTimeLeft);
  EXPECT_TRUE(decide_retry(o, 1, milliseconds(2000), milliseconds(2001), 0).retry());
  EXPECT_EQ(decide_retry(o, 1, std::nullopt, milliseconds(0), 0).stop,
            RetryDecision::Stop::kNoTimeLeft);
  EXPECT_EQ(decide_retry(o, 2, std::nullopt, milliseconds(50), 150).stop,
            RetryDecision::Stop::kNoTimeLeft);  // 150 % 201 = 150 ms > 50 ms left
}

}  // namespace
}  // namespace cachedata::http
