// The built-in HTTP fetcher on libcurl, blocking: each thread keeps one easy handle, so
// connections to an origin are reused across calls (curl keeps the connection cache in the
// handle); which options are set once and which per request is in http/easy_handle.hpp. The loop
// of attempts of one call (deadline, redirects, retries) is http/fetch_call.hpp, shared with the
// asynchronous driver (multi_fetcher.cpp). With pagination, a call is that loop once per page
// (http/pagination.hpp).
#include <curl/curl.h>

#include <chrono>
#include <string>
#include <thread>

#include "base/percent_encoding.hpp"
#include "cachedata/http_fetcher.hpp"
#include "http/easy_handle.hpp"
#include "http/fetch_call.hpp"
#include "http/pagination.hpp"

namespace cachedata {
namespace {

using http::Clock;
using http::FetchCall;
using std::chrono::milliseconds;

// One request of `hop` on the thread's handle, waiting for it.
http::Attempt perform(http::EasyHandle& handle, const http::Hop& hop,
                      const HttpFetcherOptions& options, milliseconds limit, bool attempt_limited) {
  http::Transfer t;
  if (!http::prepare_attempt(handle, hop, options, limit, t)) {
    http::Attempt a;
    a.code = CURLE_OUT_OF_MEMORY;
    a.error = "out of memory building the request headers";
    return a;
  }
  const auto started = Clock::now();
  const CURLcode code = curl_easy_perform(handle.get());
  return http::finish_attempt(handle, code, http::ms_between(started, Clock::now()), options, limit,
                              attempt_limited, std::move(t));
}

Response fetch_single(const Request& request, const Validators& validators,
                      const HttpFetcherOptions& options);

// HttpFetcher::fetch once the options are known to be valid.
Response fetch_valid(const Request& request, const Validators& validators,
                     const HttpFetcherOptions& options) {
  if (options.pagination.kind != PaginationOptions::Kind::kNone) {
    // Every page is one call of HttpFetcher::fetch without pagination; the entry is never
    // revalidated (see PaginationOptions), so the validators are not sent.
    return http::fetch_pages(request, options,
                             [](const Request& page, const HttpFetcherOptions& o) {
                               return HttpFetcher::fetch(page, Validators{}, o);
                             });
  }
  return fetch_single(request, validators, options);
}

}  // namespace

Status HttpFetcherOptions::validate() const {
  auto bad = [](const std::string& field, const std::string& value, const char* rule) {
    return Status::invalid_argument("HttpFetcherOptions." + field + " = " + value + ": " + rule);
  };
  if (connect_timeout.count() <= 0) {
    return bad("connect_timeout", std::to_string(connect_timeout.count()) + " ms", "must be > 0");
  }
  if (timeout.count() <= 0) {
    return bad("timeout", std::to_string(timeout.count()) + " ms", "must be > 0");
  }
  if (attempt_timeout.count() < 0) {
    return bad("attempt_timeout", std::to_string(attempt_timeout.count()) + " ms",
               "must be >= 0 (0: none)");
  }
  if (max_redirects < 0 || max_redirects > 100) {
    return bad("max_redirects", std::to_string(max_redirects), "must be in [0, 100]");
  }
  if (max_body_bytes == 0) return bad("max_body_bytes", "0", "must be > 0");
  if (http::has_ctl(user_agent))
    return bad("user_agent", "'" + user_agent + "'", "has CR, LF or NUL");
  if (retry.max_attempts < 1 || retry.max_attempts > 100) {
    return bad("retry.max_attempts", std::to_string(retry.max_attempts), "must be in [1, 100]");
  }
  if (retry.base_delay.count() < 0) {
    return bad("retry.base_delay", std::to_string(retry.base_delay.count()) + " ms",
               "must be >= 0");
  }
  if (retry.max_delay < retry.base_delay) {
    return bad("retry.max_delay", std::to_string(retry.max_delay.count()) + " ms",
               "must be >= retry.base_delay");
  }
  if (retry.max_retry_after.count() < 0) {
    return bad("retry.max_retry_after", std::to_string(retry.max_retry_after.count()) + " ms",
               "must be >= 0");
  }
  return http::validate_pagination(pagination);
}

HttpFetcher::HttpFetcher(HttpFetcherOptions options)
    : options_(std::move(options)), valid_(options_.validate()) {}

std::string request_url(const Request& request) {
  std::string url;
  if (!request.uri.empty()) {
    url = request.uri;
    size_t hash = url.find('#');
    if (hash != std::string::npos) url.erase(hash);
  } else {
    url = (request.scheme.empty() ? std::string("https") : request.scheme) + "://" + request.host;
    url += request.path.empty() || request.path.front() != '/' ? "/" + request.path : request.path;
  }
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : request.params) {
    url.push_back(sep);
    url += base::percent_encode(k);
    url.push_back('=');
    url += base::percent_encode(v);
    sep = '&';
  }
  return url;
}

Response HttpFetcher::operator()(const Request& request, const Validators& validators) const {
  if (!valid_) return Response::failure(valid_.message());
  // Validated once, in the constructor.
  if (!options_.per_request) return fetch_valid(request, validators, options_);
  HttpFetcherOptions adjusted = options_;
  options_.per_request(request, adjusted);
  return fetch(request, validators, adjusted);
}

Response HttpFetcher::fetch(const Request& request, const Validators& validators,
                            const HttpFetcherOptions& options) {
  if (Status s = options.validate(); !s) return Response::failure(s.message());
  return fetch_valid(request, validators, options);
}

namespace {

// The blocking driver: each attempt on the thread's handle, each wait a sleep.
Response fetch_single(const Request& request, const Validators& validators,
                      const HttpFetcherOptions& options) {
  FetchCall call(options);
  if (auto invalid = call.begin(request, validators)) return std::move(*invalid);
  http::EasyHandle* handle = http::EasyHandle::for_this_thread<http::on_body, http::on_header>();
  if (handle == nullptr) return Response::failure("libcurl could not create a handle");
  FetchCall::Step step = call.next();
  for (;;) {
    switch (step.kind) {
      case FetchCall::Step::Kind::kDone:
        return std::move(step.response);
      case FetchCall::Step::Kind::kWait:
        std::this_thread::sleep_for(step.delay);
        step = call.next();
        break;
      case FetchCall::Step::Kind::kPerform:
        step = call.after(perform(*handle, call.hop(), options, step.limit, step.attempt_limited),
                          step);
        break;
    }
  }
}

}  // namespace
}  // namespace cachedata
