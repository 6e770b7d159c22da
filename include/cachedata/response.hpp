// Response and Validators: the contract between the cache and a source (fetcher).
//
// A fetcher is any callable `Response(const Request&, const Validators&)`. The cache passes the
// validators of the entry it holds (empty on a miss) so the fetcher can revalidate: an origin
// that answers 304 Not Modified lets the cache extend the entry without rewriting its body.
// A fetcher that cannot reach its source returns a Response with `status_code == 0` and an
// `error` text (it may also throw; the cache catches it and treats it the same way).
#pragma once

#include <functional>
#include <string>

#include "cachedata/headers.hpp"

namespace cachedata {

struct Request;

struct Validators {
  std::string etag;           // the ETag the origin gave, verbatim (with quotes / W/)
  std::string last_modified;  // the Last-Modified the origin gave, verbatim
  bool empty() const { return etag.empty() && last_modified.empty(); }
};

struct Response {
  int status_code = 0;  // 0: the source could not be reached (see `error`)
  Headers headers;
  std::string body;
  std::string error;  // why there is no answer, when status_code == 0

  // The source failed: no answer, a 5xx, or 429. Such answers are never cached as content; a
  // stale entry is served instead when the profile allows it.
  bool is_failure() const { return status_code == 0 || status_code >= 500 || status_code == 429; }
  bool is_not_modified() const { return status_code == 304; }

  static Response failure(std::string why) {
    Response r;
    r.error = std::move(why);
    return r;
  }
};

using Fetcher = std::function<Response(const Request&, const Validators&)>;

// A fetcher that answers later (Cache::get_async): it starts the call and returns at once, then
// calls `done` exactly once with the answer, from any thread. It must not block while the
// source answers: that is the point. HttpFetcher::async() gives one on libcurl's multi
// interface. A fetcher that throws instead of starting is treated as a source failure.
using AsyncFetcher =
    std::function<void(const Request&, const Validators&, std::function<void(Response)> done)>;

}  // namespace cachedata
