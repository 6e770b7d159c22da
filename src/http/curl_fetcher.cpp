// The built-in HTTP fetcher on libcurl. Each thread keeps one easy handle, so connections to an
// origin are reused across calls (curl keeps the connection cache in the handle).
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
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cachedata/http_fetcher.hpp"
#include "core/url.hpp"
#include "http/pagination.hpp"
#include "http/redirect.hpp"
#include "http/retry_policy.hpp"

namespace cachedata {
namespace {

#ifndef CACHEDATA_VERSION
#define CACHEDATA_VERSION "0"
#endif

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};

CURL* thread_handle() {
  global_init_once();
  thread_local std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
  return handle.get();
}

uint64_t thread_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

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
  const Headers& headers = t.response.headers;
  t.discard_body =
      t.follow_redirects && http::is_followed_redirect(t.status) && headers.contains("location");
  if (t.discard_body || t.hop->method == "HEAD" || t.status == 204 || t.status == 304) return true;
  auto length_text = headers.get("content-length");
  // An encoded length says little about the decoded size; the limit applies to that as it comes.
  const bool decoded = t.decoding && headers.contains("content-encoding");
  if (!length_text || decoded) return true;
  uint64_t length = 0;
  for (char c : *length_text) {
    if (c < '0' || c > '9') return true;  // curl rejects a bad Content-Length itself
    if (length > (UINT64_MAX - 9) / 10) return true;
    length = length * 10 + static_cast<uint64_t>(c - '0');
  }
  if (length > t.max_body) {
    t.too_large = true;
    t.content_length = length;
    return false;
  }
  t.response.body.reserve(static_cast<size_t>(length));
  return true;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->response.headers = Headers();  // a new response (after a 1xx)
    t->status = 0;
    size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      for (size_t i = space + 1; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) {
        t->status = t->status * 10 + (line[i] - '0');
      }
    }
    return n;
  }
  if (line == "\r\n" || line == "\n") {
    if (t->status >= 200 && !on_headers_done(*t)) return 0;
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ' ||
                            value.back() == '\t')) {
    value.remove_suffix(1);
  }
  t->response.headers.add(std::string(name), std::string(value));
  return n;
}

// The result of one attempt.
struct Attempt {
  CURLcode code = CURLE_OK;
  std::string error;  // what went wrong, when code != CURLE_OK or the body was too large
  Transfer transfer;
};

Attempt perform(CURL* h, const http::Hop& hop, const HttpFetcherOptions& options,
                milliseconds limit, const std::string& limit_name) {
  Attempt a;
  Transfer& t = a.transfer;
  t.hop = &hop;
  t.max_body = options.max_body_bytes;
  t.follow_redirects = options.follow_redirects;
  t.decoding = options.decompress;

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  bool has_user_agent = false;
  for (const auto& [name, value] : hop.headers) {
    if (iequals(name, "user-agent")) has_user_agent = true;
    // "Name;" sends an empty value ("Name:" would remove the header instead).
    add_header(value.empty() ? name + ";" : name + ": " + value);
  }
  if (!has_user_agent) {
    add_header("User-Agent: " + (options.user_agent.empty()
                                     ? std::string("cachedata/") + CACHEDATA_VERSION
                                     : options.user_agent));
  }
  add_header("Expect:");  // no 100-continue round trip for request bodies

  // Options of the previous request (another call's, or the hop before a redirect) must not
  // leak into this one; the reset keeps the connections, the DNS cache and the TLS sessions.
  curl_easy_reset(h);
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, hop.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min(options.connect_timeout, limit).count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(limit.count()));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are followed by the call loop
  if (options.decompress) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // all curl decodes
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  const std::string& method = hop.method;
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (!hop.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, hop.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(hop.body.size()));
    if (method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  const auto started = Clock::now();
  a.code = curl_easy_perform(h);
  const int64_t took = ms_between(started, Clock::now());
  // The handle outlives this call: no pointer into this frame may stay in it.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);

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
  const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(a.code);
  switch (a.code) {
    case CURLE_OPERATION_TIMEDOUT:
      a.error = "timed out after " + std::to_string(took) + " ms (" + limit_name +
                "; curl: " + detail + ")";
      break;
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
      a.error = std::string(os_errno == ECONNREFUSED ? "connection refused" : "could not connect") +
                " (curl: " + detail + ")";
      break;
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      a.error = "could not resolve the host (curl: " + detail + ")";
      break;
    default:
      a.error = "curl: " + detail;
  }
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

// The headers of a decoded answer must describe the bytes we hold: the encoding, its length and
// the transfer framing (hop-by-hop) are gone.
void clean_response_headers(Response& response, const http::Hop& hop, bool decompress) {
  Headers& h = response.headers;
  if (decompress && hop.method != "HEAD" && h.remove("content-encoding") > 0) {
    h.remove("content-length");
  }
  for (const char* name : {"transfer-encoding", "connection", "keep-alive", "proxy-connection"}) {
    h.remove(name);
  }
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
    url += core::percent_encode(k);
    url.push_back('=');
    url += core::percent_encode(v);
    sep = '&';
  }
  return url;
}

Response HttpFetcher::operator()(const Request& request, const Validators& validators) const {
  if (!valid_) return Response::failure(valid_.message());
  if (!options_.per_request) return fetch(request, validators, options_);
  HttpFetcherOptions adjusted = options_;
  options_.per_request(request, adjusted);
  return fetch(request, validators, adjusted);
}

Response HttpFetcher::fetch(const Request& request, const Validators& validators,
                            const HttpFetcherOptions& options) {
  if (Status s = options.validate(); !s) return Response::failure(s.message());
  if (options.pagination.kind != PaginationOptions::Kind::kNone) {
    // Every page is one call of this function without pagination; the entry is never
    // revalidated (see PaginationOptions), so the validators are not sent.
    return http::fetch_pages(request, options,
                             [](const Request& page, const HttpFetcherOptions& o) {
                               return fetch(page, Validators{}, o);
                             });
  }
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

  CURL* h = thread_handle();
  if (h == nullptr) return Response::failure("libcurl could not create a handle");

  int attempts = 0;  // tries in this call: the first and its retries (a redirect is not one)
  int total = 0;     // requests sent in this call, redirects included
  long redirects = 0;
  std::string first_url = hop.url;
  std::vector<std::string> visited{hop.url};
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
    milliseconds limit = left;
    std::string limit_name =
        "the call's deadline, timeout = " + std::to_string(options.timeout.count()) + " ms";
    const bool attempt_limited =
        options.attempt_timeout.count() > 0 && options.attempt_timeout < left;
    if (attempt_limited) {
      limit = options.attempt_timeout;
      limit_name = "attempt_timeout = " + std::to_string(limit.count()) + " ms";
    }
    if (!followed) ++attempts;
    followed = false;
    ++total;
    Attempt a = perform(h, hop, options, limit, limit_name);
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
      clean_response_headers(t.response, hop, options.decompress);
      return std::move(t.response);
    }
    const auto time_left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const http::RetryDecision decision =
        http::decide_retry(options.retry, attempts, retry_after, time_left, thread_random());
    if (!decision.retry()) {
      // After a timeout at the call's deadline, "no time left" goes without saying.
      const bool deadline_hit = a.code == CURLE_OPERATION_TIMEDOUT && !attempt_limited;
      const std::string why = deadline_hit ? std::string() : stop_reason(decision);
      if (a.code != CURLE_OK) return Response::failure(failure(a.error, why));
      // The origin's own failure answer is returned as it is, with what happened in `error`.
      clean_response_headers(t.response, hop, options.decompress);
      t.response.error = failure("origin answered " + std::to_string(t.response.status_code), why);
      return std::move(t.response);
    }
    std::this_thread::sleep_for(decision.delay);
  }
}

}  // namespace cachedata
