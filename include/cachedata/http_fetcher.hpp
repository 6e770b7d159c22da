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
// connections to an origin are kept alive across calls. With PaginationOptions, one call fetches
// every page of a list and returns them combined into one answer. async() gives the same fetches
// as an AsyncFetcher (Cache::get_async), with no thread per call in flight.
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

// Fetching a whole list from an API that serves it in pages, as one answer (one cache entry).
// Every page is requested like the first (method, headers, body), only the URL differs, and
// each page is one fetcher call with its own retries and `HttpFetcherOptions::timeout`. As on a
// redirect, Authorization, Cookie and Proxy-Authorization go only to the first page's origin.
//
// How the pages combine: every page must be JSON. The answer is the first page's document with
// the array at `items_pointer` replaced by the concatenation of every page's array there (an
// empty `items_pointer`: each page is itself an array, and the answer is all of them
// concatenated); for json_cursor the next token at `next_token_pointer` is removed. The body is
// re-serialised compactly (the origin's whitespace is not kept).
// Headers: the first page's (so its Cache-Control / Expires govern the entry's freshness), less
// ETag, Last-Modified, Link, Content-Length and Content-Range, plus `X-Cachedata-Pages: <n>`. A
// multi-page entry has no validators and is never revalidated: the validators the cache passes are
// not sent (a 304 for page 1 would say nothing of the others); it is fetched again when it expires.
//
// Failures: a first page that is not a 2xx is returned as it is (a 404 list is an answer like
// without pagination). Any later page that fails (no answer, or not a 2xx, after the fetcher's
// retries), a page that is not JSON or has no array at `items_pointer`, a next URL seen before
// (a loop), or a combined body over `max_body_bytes` fails the whole call: status 0 and an error
// naming the page number and its URL (query redacted), so nothing is cached. More than
// `max_pages` pages is such an error too, unless `allow_truncated`: then the first `max_pages`
// pages are the answer, flagged with `X-Cachedata-Truncated: true` (never a silent partial list).
struct PaginationOptions {
  enum class Kind {
    kNone,         // one request, one answer (the default)
    kLinkHeader,   // follow `Link: <url>; rel="next"` (RFC 8288; a relative URL resolves
                   // against the URL the page was asked at, not a redirect's target); stop on
                   // a page without one
    kJsonCursor,   // the next token at `next_token_pointer` of each page; stop when it is
                   // absent, null or ""
    kOffsetLimit,  // `offset_param`=0, page_size, 2*page_size...; stop on a short page
  };
  Kind kind = Kind::kNone;
  // RFC 6901 JSON pointer of the items array in a page; "" means the page is the array.
  std::string items_pointer = "/items";
  // json_cursor: RFC 6901 JSON pointer of the next token (a string or a number).
  std::string next_token_pointer = "/next";
  // json_cursor: the query parameter that carries the token to the next page, replacing one in
  // the URL. "": the token is the next page's URL itself (absolute or relative to the page).
  std::string cursor_param = "cursor";
  // offset_limit: the query parameters set on every page (replacing any in the URL).
  std::string offset_param = "offset";
  std::string limit_param = "limit";
  int64_t page_size = 100;  // offset_limit: the limit sent; a page with fewer items is the last
  int max_pages = 100;      // pages fetched at most (the first included)
  bool allow_truncated = false;  // see above: more than max_pages is an error unless this is set
  // Deadline of the whole list, every page included; 0: none (each page has `timeout`).
  std::chrono::milliseconds total_timeout{0};
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
  PaginationOptions pagination;  // kNone: no pagination
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
  // Fetches `request` with the given options (per_request is not applied); every page of it
  // when options.pagination says so.
  static Response fetch(const Request& request, const Validators& validators,
                        const HttpFetcherOptions& options);

  // The same fetcher without a thread per call, for Cache::get_async: every call of the
  // returned AsyncFetcher is driven by one network thread shared by the whole process (libcurl's
  // multi interface), with these options, and its answer goes to `done` on that thread. Waits
  // between retries are timers, not sleeps. A paginated fetch (PaginationOptions) is the
  // exception: its pages follow one another on a thread of its own per call.
  AsyncFetcher async() const;

  const HttpFetcherOptions& options() const { return options_; }

 private:
  HttpFetcherOptions options_;
  Status valid_;
};

// The URL a request addresses: scheme://host/path?params (params percent-encoded).
std::string request_url(const Request& request);

}  // namespace cachedata
