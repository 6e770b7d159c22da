// HttpFetcher: the built-in source for HTTP origins, on libcurl. It is a Fetcher: pass it to
// Cache::get. It sends the request (any method, headers, body as bytes), revalidates with the
// stored validators (If-None-Match / If-Modified-Since, only those the origin gave), follows
// redirects, decodes gzip/deflate/br bodies, retries transient failures with backoff, and returns
// the answer's status, headers and body as bytes.
//
// Failures that leave no answer (connection refused, timeout, too many redirects, a body over
// the limit) come back as `status_code == 0` with an error text that says what happened and
// after how many attempts; the fetcher never throws. An HttpFetcher is an immutable value: copy
// it freely and call it from many threads at once; each thread reuses its own libcurl handle, so
// connections to an origin are kept alive across calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "cachedata/request.hpp"
#include "cachedata/response.hpp"
#include "cachedata/status.hpp"

namespace cachedata {

// When and how a call is tried again. A failure is retried when it is transient: a connection
// error, a timeout, a 5xx or a 429 answer; never a 2xx, 3xx or other 4xx. The wait before retry
// n (1 = the first) is drawn uniformly from [0, min(max_delay, base_delay * 2^(n-1))] ("full
// jitter"), unless the answer carries a Retry-After, which is waited for exactly. Every attempt
// and every wait fits in the call's deadline (HttpFetcherOptions::timeout): a retry that could
// not start before it is not made, and the last answer or error is returned.
struct RetryOptions {
  int max_attempts = 3;  // tries per call, the first included; 1 disables retries
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{2000};
  // A Retry-After longer than this is not waited for: the 429/503 answer is returned as is.
  // A Retry-After that cannot be parsed is ignored (the backoff above applies).
  std::chrono::milliseconds max_retry_after{10000};
  // POST, PATCH and other non-idempotent methods are retried like the others (a read-through
  // cache sends reads). false: they are retried only when the origin surely did not get them
  // (the connection could not be made) or answered 429.
  bool retry_non_idempotent = true;
};

struct HttpFetcherOptions {
  std::chrono::milliseconds connect_timeout{5000};  // per connection attempt
  // Total deadline of one call: every attempt, redirect and wait between retries included.
  std::chrono::milliseconds timeout{30000};
  // Deadline of one attempt, so a hung attempt can be retried within `timeout`; 0: none (an
  // attempt may use all the time left).
  std::chrono::milliseconds attempt_timeout{0};
  // Follow 301/302/303/307/308 (relative Location too). 303 turns any method but HEAD into a
  // GET without a body, 301/302 turn a POST into a GET (as browsers and curl do), 307/308 keep
  // the method and body. Credentials (Authorization, Cookie) are not sent to another origin.
  // false: a redirect is returned as the answer.
  bool follow_redirects = true;
  long max_redirects = 5;  // more is a failure ("too many redirects")
  // Send Accept-Encoding (gzip, deflate, br, zstd) unless the request sets its own, and decode
  // the body; the decoded answer has no Content-Encoding / Content-Length headers. false: no
  // Accept-Encoding is added and the body is returned as the origin sent it.
  bool decompress = true;
  // Largest (decoded) body accepted; a larger answer is a failure, never cached. A
  // Content-Length over it fails before the body is read.
  uint64_t max_body_bytes = 64ull << 20;
  std::string user_agent;  // empty: "cachedata/<version>"; a User-Agent request header wins
  RetryOptions retry;
  // Adjusts the options for one request (e.g. a longer deadline for a slow endpoint). Called on
  // a copy of these options, before every call, from the calling thread; must be thread-safe.
  std::function<void(const Request&, HttpFetcherOptions&)> per_request;

  // Checks every field; the error names the field and the value.
  Status validate() const;
};

class HttpFetcher {
 public:
  // Invalid options are reported by every call (status 0, the validate() message).
  explicit HttpFetcher(HttpFetcherOptions options = {});

  // Fetches `request` with options() (adjusted by options().per_request, if set).
  Response operator()(const Request& request, const Validators& validators) const;
  // Fetches `request` with the given options (per_request is not applied).
  static Response fetch(const Request& request, const Validators& validators,
                        const HttpFetcherOptions& options);

  const HttpFetcherOptions& options() const { return options_; }

 private:
  HttpFetcherOptions options_;
  Status valid_;
};

// The URL a request addresses: scheme://host/path?params (params percent-encoded).
std::string request_url(const Request& request);

}  // namespace cachedata
