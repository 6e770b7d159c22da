// The retry policy of the HTTP fetcher, as pure functions (no I/O, no clock, no randomness of
// their own: the caller passes `now` and a random number), so it is tested without a server.
//
//   - which answers and libcurl errors are transient (retried) and which are final;
//   - the wait before the next attempt: exponential backoff with full jitter, or the origin's
//     Retry-After (delta-seconds or HTTP-date), within the caps of RetryOptions;
//   - when to stop: out of attempts, a Retry-After over the cap, or no time left in the deadline.
//
// Header-only, so the library needs no extra source file for it.
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/http_date.hpp"
#include "cachedata/http_fetcher.hpp"

namespace cachedata::http {

using std::chrono::milliseconds;

// 5xx and 429 are transient; every other status (2xx, 3xx, other 4xx) is a final answer.
inline bool is_retryable_status(int status) {
  return status == 429 || (status >= 500 && status <= 599);
}

// Connection errors and timeouts are transient. Errors that another attempt would repeat (a
// malformed URL, an unsupported protocol, a TLS certificate problem, a body over the limit,
// too many redirects, a bad content encoding) are final.
inline bool is_retryable_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

// True when the request cannot have reached the origin: no connection was made.
inline bool failed_before_sending(CURLcode code) {
  return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
         code == CURLE_COULDNT_CONNECT;
}

// RFC 9110 §9.2.2: methods whose repetition has the same effect as one request.
inline bool is_idempotent_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

// The ceiling of the backoff before retry number `retry` (1 = the first retry):
// min(max_delay, base_delay * 2^(retry-1)); 0 for retry < 1. Never overflows.
inline milliseconds backoff_ceiling(int retry, milliseconds base_delay, milliseconds max_delay) {
  if (retry < 1 || base_delay.count() <= 0 || max_delay.count() <= 0) return milliseconds(0);
  int64_t ceiling = base_delay.count();
  for (int i = 1; i < retry && ceiling < max_delay.count(); ++i) ceiling *= 2;
  return milliseconds(std::min<int64_t>(ceiling, max_delay.count()));
}

// Full jitter: a wait uniformly distributed in [0, ceiling], chosen by `random` (any 64-bit
// value, e.g. from std::mt19937_64). Never more than the ceiling.
inline milliseconds full_jitter(milliseconds ceiling, uint64_t random) {
  if (ceiling.count() <= 0) return milliseconds(0);
  return milliseconds(static_cast<int64_t>(random % (static_cast<uint64_t>(ceiling.count()) + 1)));
}

// Delta-seconds in a Retry-After are clamped to this (RFC 9111 §1.2.2 uses the same bound), so
// a huge value is "very long", not an overflow.
inline constexpr int64_t kMaxRetryAfterSeconds = 2147483648LL;

// Parses a Retry-After value (RFC 9110 §10.2.3) into the wait it asks for, relative to `now`:
//   - delta-seconds: one or more digits ("120"), optionally surrounded by spaces or tabs;
//     values over 2^31 are clamped to 2^31 s;
//   - an HTTP-date (IMF-fixdate, RFC 850 or asctime): the time until then; a date in the past
//     means 0 (retry now).
// Anything else (empty, negative, "1.5", "soon", trailing junk) is malformed: std::nullopt. The
// fetcher then ignores the header and uses its own backoff.
inline std::optional<milliseconds> parse_retry_after(std::string_view value,
                                                     std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    for (char c : value) {
      seconds = std::min<int64_t>(seconds * 10 + (c - '0'), kMaxRetryAfterSeconds);
    }
    return milliseconds(seconds * 1000);
  }
  auto date = base::parse_http_date(value);
  if (!date) return std::nullopt;
  const auto wait = std::chrono::duration_cast<milliseconds>(*date - now);
  return std::max(wait, milliseconds(0));
}

// What the fetcher does after a transient failure.
struct RetryDecision {
  enum class Stop {
    kNo,                 // retry after `delay`
    kOutOfAttempts,      // max_attempts reached
    kRetryAfterTooLong,  // the origin asked for a wait over max_retry_after
    kNoTimeLeft,         // the wait would end at or after the deadline
  };
  Stop stop = Stop::kNo;
  milliseconds delay{0};

  bool retry() const { return stop == Stop::kNo; }
};

// Decides the next step after attempt number `attempts_made` (1 = the first) failed
// transiently. `retry_after` is the parsed Retry-After of the answer, if any; `time_left` is
// what remains of the call's deadline; `random` picks the jitter.
inline RetryDecision decide_retry(const RetryOptions& options, int attempts_made,
                                  std::optional<milliseconds> retry_after, milliseconds time_left,
                                  uint64_t random) {
  RetryDecision d;
  if (attempts_made >= options.max_attempts) {
    d.stop = RetryDecision::Stop::kOutOfAttempts;
    return d;
  }
  if (retry_after) {
    if (*retry_after > options.max_retry_after) {
      d.stop = RetryDecision::Stop::kRetryAfterTooLong;
      d.delay = *retry_after;
      return d;
    }
    d.delay = *retry_after;
  } else {
    d.delay =
        full_jitter(backoff_ceiling(attempts_made, options.base_delay, options.max_delay), random);
  }
  if (d.delay >= time_left) d.stop = RetryDecision::Stop::kNoTimeLeft;
  return d;
}

}  // namespace cachedata::http
