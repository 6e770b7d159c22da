// The built-in HTTP fetcher on libcurl. Each thread keeps one easy handle, so connections to an
// origin are reused across calls (curl keeps the connection cache in the handle); which options
// are set once and which per request is in http/easy_handle.hpp.
//
// One call is a loop of attempts under one deadline (HttpFetcherOptions::timeout):
//   perform one request (curl follows nothing itself)
//     -> a followed redirect: the next hop (redirect.hpp), same call, not an attempt more;
//     -> a transient failure (connection error, timeout, 5xx, 429): wait and try the same hop
//        again, as retry_policy.hpp decides;
//     -> anything else: the answer.
// With pagination, a call is that loop once per page (http/pagination.hpp).
#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/jitter_random.hpp"
#include "base/percent_encoding.hpp"
#include "cachedata/http_fetcher.hpp"
#include "http/easy_handle.hpp"
#include "http/pagination.hpp"
#include "http/redirect.hpp"
#include "http/response_header.hpp"
#include "http/retry_policy.hpp"

namespace cachedata {
namespace {

#ifndef CACHEDATA_VERSION
#define CACHEDATA_VERSION "0"
#endif

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool has_ctl(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

// RFC 9110 §5.6.2 token characters: what a method may be made of.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string plural(int64_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

int64_t ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

// What one attempt (one curl_easy_perform) produced.
struct Transfer {
  const http::Hop* hop = nullptr;
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

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->discard_body) return n;
  if (t->response.body.size() + n > t->max_body) {
    t->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  t->response.body.append(data, n);
  return n;
}

// Called at the blank line that ends the headers of a final (non-1xx) response: decides what to
// do with the body before any of it arrives. false aborts the transfer.
bool on_headers_done(Transfer& t) {
  t.discard_body = t.follow_redirects && http::is_followed_redirect(t.status) && t.has_location;
  if (t.discard_body || t.hop->method == "HEAD" || t.status == 204 || t.status == 304) return true;
  // An encoded length says little about the decoded size; the limit applies to that as it comes.
  // A Content-Length that is not a number is left to curl, which rejects it.
  const bool decoded = t.decoding && t.has_content_encoding;
  if (!t.first_content_length || decoded) return true;
  const uint64_t length = *t.first_content_length;
  if (length > t.max_body) {
    t.too_large = true;
    t.content_length = length;
    return false;
  }
  t.response.body.reserve(static_cast<size_t>(length));
  return true;
}

std::optional<uint64_t> parse_length(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t length = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (length > (UINT64_MAX - 9) / 10) return std::nullopt;
    length = length * 10 + static_cast<uint64_t>(c - '0');
  }
  return length;
}

// `name` is `lower` (lower-case) in any case. On every response field, so cheaper than iequals.
bool is_field(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i] >= 'A' && name[i] <= 'Z' ? static_cast<char>(name[i] + 32) : name[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// Fields about this connection only (RFC 9110 §7.6.1): never part of an answer.
bool is_hop_by_hop(std::string_view name) {
  return is_field(name, "connection") || is_field(name, "keep-alive") ||
         is_field(name, "proxy-connection") || is_field(name, "transfer-encoding");
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  const http::HeaderLine line = http::parse_header_line(std::string_view(data, n));
  switch (line.kind) {
    case http::HeaderLine::Kind::kStatus:
      // A new response (the first, or the final one after a 1xx).
      if (!t->response.headers.empty()) t->response.headers = Headers();
      t->response.headers.reserve(12);  // one allocation for a typical answer's fields
      t->has_location = t->has_content_encoding = t->has_content_length = false;
      t->first_content_length.reset();
      t->status = line.status;
      return n;
    case http::HeaderLine::Kind::kEnd:
      if (t->status >= 200 && !on_headers_done(*t)) return 0;
      return n;
    case http::HeaderLine::Kind::kOther:
      return n;
    case http::HeaderLine::Kind::kField:
      break;
  }
  const std::string_view name = line.name;
  if (is_hop_by_hop(name)) return n;
  if (is_field(name, "location")) {
    t->has_location = true;
  } else if (is_field(name, "content-encoding")) {
    t->has_content_encoding = true;
  } else if (!t->has_content_length && is_field(name, "content-length")) {
    t->has_content_length = true;
    t->first_content_length = parse_length(line.value);
  }
  t->response.headers.add(std::string(name), std::string(line.value));
  return n;
}

// The result of one attempt.
struct Attempt {
  CURLcode code = CURLE_OK;
  std::string error;  // what went wrong, when code != CURLE_OK or the body was too large
  Transfer transfer;
};

const std::string& default_user_agent() {
  static const std::string ua = std::string("cachedata/") + CACHEDATA_VERSION;
  return ua;
}

// One request of `hop` on the thread's handle. `limit` bounds it (attempt_limited: it is
// options.attempt_timeout, else what is left of the call's deadline).
Attempt perform(http::EasyHandle& handle, const http::Hop& hop, const HttpFetcherOptions& options,
                milliseconds limit, bool attempt_limited) {
  Attempt a;
  Transfer& t = a.transfer;
  t.hop = &hop;
  t.max_body = options.max_body_bytes;
  t.follow_redirects = options.follow_redirects;
  t.decoding = options.decompress;

  CURL* h = handle.get();
  http::WireOptions wire;
  wire.user_agent = options.user_agent.empty() ? default_user_agent() : options.user_agent;
  wire.decompress = options.decompress;
  wire.connect_timeout_ms = static_cast<long>(std::min(options.connect_timeout, limit).count());
  wire.timeout_ms = static_cast<long>(limit.count());
  wire.callback_data = &t;
  if (!handle.prepare(http::WireRequest{hop.method, hop.url, hop.headers, hop.body}, wire)) {
    a.code = CURLE_OUT_OF_MEMORY;
    a.error = "out of memory building the request headers";
    return a;
  }

  const auto started = Clock::now();
  a.code = curl_easy_perform(h);
  const int64_t took = ms_between(started, Clock::now());

  if (t.too_large) {
    a.code = CURLE_WRITE_ERROR;
    a.error = "the answer is larger than the maximum body size (max_body_bytes = " +
              std::to_string(options.max_body_bytes) + " bytes" +
              (t.content_length > 0 ? "; Content-Length: " + std::to_string(t.content_length)
                                    : std::string()) +
              ")";
    return a;
  }
  if (a.code == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    t.response.status_code = static_cast<int>(code);
    return a;
  }
  const std::string limit_name =
      attempt_limited
          ? "attempt_timeout = " + std::to_string(limit.count()) + " ms"
          : "the call's deadline, timeout = " + std::to_string(options.timeout.count()) + " ms";
  a.error = handle.describe_failure(a.code, took, limit_name);
  return a;
}

// Validates what goes on the wire: a method that is a token, header fields without CR/LF/NUL.
Status check_request(const http::Hop& hop) {
  if (!is_token(hop.method)) {
    return Status::invalid_argument("invalid HTTP method '" + hop.method + "'");
  }
  for (const auto& [name, value] : hop.headers) {
    if (!is_token(name) || has_ctl(value)) {
      return Status::invalid_argument("invalid request header '" + name + "'");
    }
  }
  return Status::ok();
}

// The headers of a decoded answer must describe the bytes we hold: the encoding and its length
// are gone (as is the transfer framing: on_header keeps no hop-by-hop field).
void clean_response_headers(Transfer& t, const http::Hop& hop, bool decompress) {
  if (decompress && t.has_content_encoding && hop.method != "HEAD" &&
      t.response.headers.remove("content-encoding") > 0) {
    t.response.headers.remove("content-length");
  }
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
  if (has_ctl(user_agent)) return bad("user_agent", "'" + user_agent + "'", "has CR, LF or NUL");
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

// One request (no pagination) with its redirects and retries. REQUIRES: options are valid.
Response fetch_single(const Request& request, const Validators& validators,
                      const HttpFetcherOptions& options) {
  const auto started = Clock::now();
  const auto deadline = started + options.timeout;

  http::Hop hop;
  hop.method = request.method.empty() ? "GET" : request.method;
  hop.url = request_url(request);
  hop.body = request.body;
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "content-length")) continue;  // curl sends the body's length itself
    if (!validators.etag.empty() && iequals(name, "if-none-match")) continue;
    if (!validators.last_modified.empty() && iequals(name, "if-modified-since")) continue;
    hop.headers.emplace_back(name, value);
  }
  if (!validators.etag.empty()) hop.headers.emplace_back("If-None-Match", validators.etag);
  if (!validators.last_modified.empty()) {
    hop.headers.emplace_back("If-Modified-Since", validators.last_modified);
  }
  if (Status s = check_request(hop); !s)
    return Response::failure(s.message() + " (" + http::url_for_messages(hop.url) + ")");

  http::EasyHandle* handle = http::EasyHandle::for_this_thread<on_body, on_header>();
  if (handle == nullptr) return Response::failure("libcurl could not create a handle");

  int attempts = 0;  // tries in this call: the first and its retries (a redirect is not one)
  int total = 0;     // requests sent in this call, redirects included
  long redirects = 0;
  // Only once a redirect is followed (most calls have none, and need no copies).
  std::string first_url;
  std::vector<std::string> visited;
  bool followed = false;  // the next request follows a redirect (it is not a retry)

  // "<what> (<METHOD> <url>; <n> attempts in <ms> ms[; why no retry])"
  auto failure = [&](const std::string& what, const std::string& why_stopped) {
    std::string text = what + " (" + hop.method + " " + http::url_for_messages(hop.url) + "; " +
                       plural(attempts, "attempt") + " in " +
                       std::to_string(ms_between(started, Clock::now())) + " ms";
    if (!why_stopped.empty()) text += "; " + why_stopped;
    return text + ")";
  };
  auto stop_reason = [&](const http::RetryDecision& d) -> std::string {
    switch (d.stop) {
      case http::RetryDecision::Stop::kOutOfAttempts:
        return attempts > 1 ? "retry.max_attempts reached" : std::string();
      case http::RetryDecision::Stop::kRetryAfterTooLong:
        return "Retry-After of " + std::to_string(d.delay.count()) +
               " ms is over retry.max_retry_after";
      case http::RetryDecision::Stop::kNoTimeLeft:
        return "no time left for another attempt within timeout = " +
               std::to_string(options.timeout.count()) + " ms";
      case http::RetryDecision::Stop::kNo:
        break;
    }
    return {};
  };

  for (;;) {
    const auto now = Clock::now();
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
    if (left.count() <= 0) {
      return Response::failure(failure(
          "timed out: timeout = " + std::to_string(options.timeout.count()) + " ms passed", ""));
    }
    const bool attempt_limited =
        options.attempt_timeout.count() > 0 && options.attempt_timeout < left;
    const milliseconds limit = attempt_limited ? options.attempt_timeout : left;
    if (!followed) ++attempts;
    followed = false;
    ++total;
    Attempt a = perform(*handle, hop, options, limit, attempt_limited);
    Transfer& t = a.transfer;

    std::optional<milliseconds> retry_after;
    bool transient = false;
    if (a.code != CURLE_OK) {
      if (t.too_large) return Response::failure(failure(a.error, ""));
      transient = http::is_retryable_curl_error(a.code) &&
                  (options.retry.retry_non_idempotent || http::is_idempotent_method(hop.method) ||
                   http::failed_before_sending(a.code));
    } else {
      const int status = t.response.status_code;
      if (options.follow_redirects && http::is_followed_redirect(status)) {
        auto location = t.response.headers.get("location");
        if (location) {
          auto target = http::resolve_location(hop.url, std::string(*location));
          if (!target) {
            return Response::failure(failure("the redirect " + std::to_string(status) + " to '" +
                                                 std::string(*location) + "' is not an http(s) URL",
                                             ""));
          }
          if (visited.empty()) {
            first_url = hop.url;
            visited.push_back(hop.url);
          }
          if (redirects >= options.max_redirects) {
            const bool loop = std::find(visited.begin(), visited.end(), *target) != visited.end();
            return Response::failure(
                "too many redirects: more than max_redirects = " +
                std::to_string(options.max_redirects) + " from " +
                http::url_for_messages(first_url) + " (the last, " + std::to_string(status) +
                " from " + http::url_for_messages(hop.url) + " to " +
                http::url_for_messages(*target) +
                (loop ? ", goes back to a URL already visited: a redirect loop" : "") + "; " +
                plural(total, "request") + " in " +
                std::to_string(ms_between(started, Clock::now())) + " ms)");
          }
          ++redirects;
          visited.push_back(*target);
          hop = http::redirected(std::move(hop), status, std::move(*target));
          followed = true;
          continue;
        }
      }
      transient = http::is_retryable_status(status) &&
                  (options.retry.retry_non_idempotent || http::is_idempotent_method(hop.method) ||
                   status == 429);
      if (transient) {
        if (auto value = t.response.headers.get("retry-after")) {
          retry_after = http::parse_retry_after(*value, std::chrono::system_clock::now());
        }
      }
    }

    if (!transient) {
      if (a.code != CURLE_OK) return Response::failure(failure(a.error, ""));
      clean_response_headers(t, hop, options.decompress);
      return std::move(t.response);
    }
    const auto time_left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const http::RetryDecision decision =
        http::decide_retry(options.retry, attempts, retry_after, time_left, base::jitter_random());
    if (!decision.retry()) {
      // After a timeout at the call's deadline, "no time left" goes without saying.
      const bool deadline_hit = a.code == CURLE_OPERATION_TIMEDOUT && !attempt_limited;
      const std::string why = deadline_hit ? std::string() : stop_reason(decision);
      if (a.code != CURLE_OK) return Response::failure(failure(a.error, why));
      // The origin's own failure answer is returned as it is, with what happened in `error`.
      clean_response_headers(t, hop, options.decompress);
      t.response.error = failure("origin answered " + std::to_string(t.response.status_code), why);
      return std::move(t.response);
    }
    std::this_thread::sleep_for(decision.delay);
  }
}

}  // namespace
}  // namespace cachedata
