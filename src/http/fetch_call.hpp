// One call of the HTTP fetcher apart from how it is driven: what an attempt receives (Transfer
// and the libcurl callbacks), how an attempt is set up and read, and FetchCall, the loop of
// attempts under one deadline as a state machine:
//   perform one request (curl follows nothing itself)
//     -> a followed redirect: the next hop (redirect.hpp), same call, not an attempt more;
//     -> a transient failure (connection error, timeout, 5xx, 429): wait and try the same hop
//        again, as retry_policy.hpp decides;
//     -> anything else: the answer.
// Two drivers share it: the blocking one (curl_fetcher.cpp: curl_easy_perform on the thread's
// handle, a sleep for a wait) and the asynchronous one (multi_fetcher.cpp: libcurl's multi
// interface, one thread for every call in flight, a timer for a wait).
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/http_fetcher.hpp"
#include "http/easy_handle.hpp"
#include "http/pagination.hpp"
#include "http/redirect.hpp"
#include "http/response_header.hpp"
#include "http/retry_policy.hpp"

namespace cachedata::http {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// CR, LF or NUL: what no header field on the wire may hold.
bool has_ctl(std::string_view s);

inline int64_t ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

// What one attempt receives: the libcurl callbacks below write into it.
struct Transfer {
  const Hop* hop = nullptr;
  uint64_t max_body = 0;
  bool follow_redirects = true;
  bool decoding = true;

  Response response;
  int status = 0;               // from the status line of the current response
  bool discard_body = false;    // a redirect we will follow: its body is not wanted
  bool too_large = false;       // the body is over max_body
  uint64_t content_length = 0;  // the announced Content-Length, when too_large by it
  // Noted while the current response's fields arrive, so no lookup scans them again.
  bool has_location = false;
  bool has_content_encoding = false;
  bool has_content_length = false;               // the first Content-Length field was seen
  std::optional<uint64_t> first_content_length;  // its value, if it is a number
};

// The body and header callbacks of every fetcher handle (EasyHandle's template arguments);
// `user` is the Transfer.
size_t on_body(char* data, size_t size, size_t count, void* user);
size_t on_header(char* data, size_t size, size_t count, void* user);

// The result of one attempt.
struct Attempt {
  CURLcode code = CURLE_OK;
  std::string error;  // what went wrong, when code != CURLE_OK or the body was too large
  Transfer transfer;
};

// Sets up one request of `hop` on `handle`, its answer going to `t` (which must stay where it is
// until the request ends). `limit` bounds it (attempt_timeout, else what is left of the call's
// deadline). false: out of memory.
bool prepare_attempt(EasyHandle& handle, const Hop& hop, const HttpFetcherOptions& options,
                     milliseconds limit, Transfer& t);
// What an attempt came to, once libcurl has ended it with `code` after `took` ms.
Attempt finish_attempt(EasyHandle& handle, CURLcode code, int64_t took,
                       const HttpFetcherOptions& options, milliseconds limit, bool attempt_limited,
                       Transfer&& transfer);

// One call (no pagination). REQUIRES: the options are valid, and outlive the call.
class FetchCall {
 public:
  struct Step {
    enum class Kind { kPerform, kWait, kDone };
    Kind kind = Kind::kDone;
    milliseconds limit{0};         // kPerform: the attempt's bound
    bool attempt_limited = false;  // kPerform: the bound is attempt_timeout
    milliseconds delay{0};         // kWait: then next()
    Response response;             // kDone
  };

  explicit FetchCall(const HttpFetcherOptions& options)
      : options_(options), started_(Clock::now()), deadline_(started_ + options.timeout) {}

  // The first hop; a failure when the request cannot go on the wire.
  std::optional<Response> begin(const Request& request, const Validators& validators);
  // The request the next kPerform step sends.
  const Hop& hop() const { return hop_; }
  // The next attempt, or the end when the deadline has passed.
  Step next();
  // What follows the attempt `performed` asked for: another hop, a wait, or the answer.
  Step after(Attempt a, const Step& performed);

 private:
  static Step done(Response response);
  Step redirect(int status, const std::string& location);
  // "<what> (<METHOD> <url>; <n> attempts in <ms> ms[; why no retry])"
  std::string failure(const std::string& what, const std::string& why_stopped) const;
  std::string stop_reason(const RetryDecision& d) const;

  const HttpFetcherOptions& options_;
  const Clock::time_point started_;
  const Clock::time_point deadline_;
  Hop hop_;
  int attempts_ = 0;  // tries in this call: the first and its retries (a redirect is not one)
  int total_ = 0;     // requests sent in this call, redirects included
  long redirects_ = 0;
  // Only once a redirect is followed (most calls have none, and need no copies).
  std::string first_url_;
  std::vector<std::string> visited_;
  bool followed_ = false;  // the next request follows a redirect (it is not a retry)
};

}  // namespace cachedata::http
