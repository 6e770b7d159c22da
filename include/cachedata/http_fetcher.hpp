// HttpFetcher: the built-in source for HTTP origins, on libcurl. It is a Fetcher: pass it to
// Cache::get. It sends the request (any method, headers, body), revalidates with the stored
// validators (If-None-Match / If-Modified-Since, only those the origin gave), and returns the
// answer's status, headers and body as bytes. Transport failures come back as status 0 with an
// error text. Safe to call from many threads: each thread reuses its own connection handle.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "cachedata/request.hpp"
#include "cachedata/response.hpp"

namespace cachedata {

struct HttpFetcherOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};  // total deadline of one call
  long max_redirects = 5;
  uint64_t max_body_bytes = 64ull << 20;  // a larger answer is a failure, never cached
  std::string user_agent;                 // empty: cachedata/<version>
};

class HttpFetcher {
 public:
  explicit HttpFetcher(HttpFetcherOptions options = {}) : options_(std::move(options)) {}
  Response operator()(const Request& request, const Validators& validators) const;
  const HttpFetcherOptions& options() const { return options_; }

 private:
  HttpFetcherOptions options_;
};

// The URL a request addresses: scheme://host/path?params (params percent-encoded).
std::string request_url(const Request& request);

}  // namespace cachedata
