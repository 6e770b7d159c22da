// One call of the HTTP fetcher apart from how it is driven (http/fetch_call.hpp).
#include "http/fetch_call.hpp"

#include <algorithm>
#include <string_view>

#include "base/jitter_random.hpp"
#include "base/strings.hpp"

#ifndef CACHEDATA_VERSION
#define CACHEDATA_VERSION "0"
#endif

namespace cachedata::http {

bool has_ctl(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

namespace {

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

}  // namespace

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
namespace {

bool on_headers_done(Transfer& t) {
  t.discard_body = t.follow_redirects && is_followed_redirect(t.status) && t.has_location;
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

}  // namespace

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  const HeaderLine line = parse_header_line(std::string_view(data, n));
  switch (line.kind) {
    case HeaderLine::Kind::kStatus:
      // A new response (the first, or the final one after a 1xx).
      if (!t->response.headers.empty()) t->response.headers = Headers();
      t->response.headers.reserve(12);  // one allocation for a typical answer's fields
      t->has_location = t->has_content_encoding = t->has_content_length = false;
      t->first_content_length.reset();
      t->status = line.status;
      return n;
    case HeaderLine::Kind::kEnd:
      if (t->status >= 200 && !on_headers_done(*t)) return 0;
      return n;
    case HeaderLine::Kind::kOther:
      return n;
    case HeaderLine::Kind::kField:
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

namespace {

const std::string& default_user_agent() {
  static const std::string ua = std::string("cachedata/") + CACHEDATA_VERSION;
  return ua;
}

}  // namespace

// Sets up one request of `hop` on `handle`, its answer going to `t`. `limit` bounds it
// (attempt_timeout, else what is left of the call's deadline). false: out of memory.
bool prepare_attempt(EasyHandle& handle, const Hop& hop, const HttpFetcherOptions& options,
                     milliseconds limit, Transfer& t) {
  t.hop = &hop;
  t.max_body = options.max_body_bytes;
  t.follow_redirects = options.follow_redirects;
  t.decoding = options.decompress;
  WireOptions wire;
  wire.user_agent = options.user_agent.empty() ? default_user_agent() : options.user_agent;
  wire.decompress = options.decompress;
  wire.connect_timeout_ms = static_cast<long>(std::min(options.connect_timeout, limit).count());
  wire.timeout_ms = static_cast<long>(limit.count());
  wire.callback_data = &t;
  return handle.prepare(WireRequest{hop.method, hop.url, hop.headers, hop.body}, wire);
}

// What an attempt came to, once libcurl has ended it with `code` after `took` ms.
Attempt finish_attempt(EasyHandle& handle, CURLcode code, int64_t took,
                       const HttpFetcherOptions& options, milliseconds limit, bool attempt_limited,
                       Transfer&& transfer) {
  Attempt a;
  a.code = code;
  a.transfer = std::move(transfer);
  Transfer& t = a.transfer;
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
    long status = 0;
    curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
    t.response.status_code = static_cast<int>(status);
    return a;
  }
  const std::string limit_name =
      attempt_limited
          ? "attempt_timeout = " + std::to_string(limit.count()) + " ms"
          : "the call's deadline, timeout = " + std::to_string(options.timeout.count()) + " ms";
  a.error = handle.describe_failure(a.code, took, limit_name);
  return a;
}

namespace {

// Validates what goes on the wire: a method that is a token, header fields without CR/LF/NUL.
Status check_request(const Hop& hop) {
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
void clean_response_headers(Transfer& t, const Hop& hop, bool decompress) {
  if (decompress && t.has_content_encoding && hop.method != "HEAD" &&
      t.response.headers.remove("content-encoding") > 0) {
    t.response.headers.remove("content-length");
  }
}

}  // namespace

std::optional<Response> FetchCall::begin(const Request& request, const Validators& validators) {
  hop_.method = request.method.empty() ? "GET" : request.method;
  hop_.url = request_url(request);
  hop_.body = request.body;
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "content-length")) continue;  // curl sends the body's length itself
    if (!validators.etag.empty() && iequals(name, "if-none-match")) continue;
    if (!validators.last_modified.empty() && iequals(name, "if-modified-since")) continue;
    hop_.headers.emplace_back(name, value);
  }
  if (!validators.etag.empty()) hop_.headers.emplace_back("If-None-Match", validators.etag);
  if (!validators.last_modified.empty()) {
    hop_.headers.emplace_back("If-Modified-Since", validators.last_modified);
  }
  if (Status s = check_request(hop_); !s) {
    return Response::failure(s.message() + " (" + url_for_messages(hop_.url) + ")");
  }
  return std::nullopt;
}

FetchCall::Step FetchCall::next() {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
  if (left.count() <= 0) {
    return done(Response::failure(failure(
        "timed out: timeout = " + std::to_string(options_.timeout.count()) + " ms passed", "")));
  }
  Step step;
  step.kind = Step::Kind::kPerform;
  step.attempt_limited = options_.attempt_timeout.count() > 0 && options_.attempt_timeout < left;
  step.limit = step.attempt_limited ? options_.attempt_timeout : left;
  if (!followed_) ++attempts_;
  followed_ = false;
  ++total_;
  return step;
}

FetchCall::Step FetchCall::after(Attempt a, const Step& performed) {
  Transfer& t = a.transfer;
  std::optional<milliseconds> retry_after;
  bool transient = false;
  if (a.code != CURLE_OK) {
    if (t.too_large) return done(Response::failure(failure(a.error, "")));
    transient = is_retryable_curl_error(a.code) &&
                (options_.retry.retry_non_idempotent || is_idempotent_method(hop_.method) ||
                 failed_before_sending(a.code));
  } else {
    const int status = t.response.status_code;
    if (options_.follow_redirects && is_followed_redirect(status)) {
      if (auto location = t.response.headers.get("location")) {
        return redirect(status, std::string(*location));
      }
    }
    transient = is_retryable_status(status) && (options_.retry.retry_non_idempotent ||
                                                is_idempotent_method(hop_.method) || status == 429);
    if (transient) {
      if (auto value = t.response.headers.get("retry-after")) {
        retry_after = parse_retry_after(*value, std::chrono::system_clock::now());
      }
    }
  }

  if (!transient) {
    if (a.code != CURLE_OK) return done(Response::failure(failure(a.error, "")));
    clean_response_headers(t, hop_, options_.decompress);
    return done(std::move(t.response));
  }
  const auto time_left = std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
  const RetryDecision decision =
      decide_retry(options_.retry, attempts_, retry_after, time_left, base::jitter_random());
  if (!decision.retry()) {
    // After a timeout at the call's deadline, "no time left" goes without saying.
    const bool deadline_hit = a.code == CURLE_OPERATION_TIMEDOUT && !performed.attempt_limited;
    const std::string why = deadline_hit ? std::string() : stop_reason(decision);
    if (a.code != CURLE_OK) return done(Response::failure(failure(a.error, why)));
    // The origin's own failure answer is returned as it is, with what happened in `error`.
    clean_response_headers(t, hop_, options_.decompress);
    t.response.error = failure("origin answered " + std::to_string(t.response.status_code), why);
    return done(std::move(t.response));
  }
  Step wait;
  wait.kind = Step::Kind::kWait;
  wait.delay = decision.delay;
  return wait;
}

FetchCall::Step FetchCall::done(Response response) {
  Step step;
  step.kind = Step::Kind::kDone;
  step.response = std::move(response);
  return step;
}

FetchCall::Step FetchCall::redirect(int status, const std::string& location) {
  auto target = resolve_location(hop_.url, location);
  if (!target) {
    return done(Response::failure(failure(
        "the redirect " + std::to_string(status) + " to '" + location + "' is not an http(s) URL",
        "")));
  }
  if (visited_.empty()) {
    first_url_ = hop_.url;
    visited_.push_back(hop_.url);
  }
  if (redirects_ >= options_.max_redirects) {
    const bool loop = std::find(visited_.begin(), visited_.end(), *target) != visited_.end();
    return done(Response::failure(
        "too many redirects: more than max_redirects = " + std::to_string(options_.max_redirects) +
        " from " + url_for_messages(first_url_) + " (the last, " + std::to_string(status) +
        " from " + url_for_messages(hop_.url) + " to " + url_for_messages(*target) +
        (loop ? ", goes back to a URL already visited: a redirect loop" : "") + "; " +
        plural(total_, "request") + " in " + std::to_string(ms_between(started_, Clock::now())) +
        " ms)"));
  }
  ++redirects_;
  visited_.push_back(*target);
  hop_ = redirected(std::move(hop_), status, std::move(*target));
  followed_ = true;
  return next();
}

std::string FetchCall::failure(const std::string& what, const std::string& why_stopped) const {
  std::string text = what + " (" + hop_.method + " " + url_for_messages(hop_.url) + "; " +
                     plural(attempts_, "attempt") + " in " +
                     std::to_string(ms_between(started_, Clock::now())) + " ms";
  if (!why_stopped.empty()) text += "; " + why_stopped;
  return text + ")";
}

std::string FetchCall::stop_reason(const RetryDecision& d) const {
  switch (d.stop) {
    case RetryDecision::Stop::kOutOfAttempts:
      return attempts_ > 1 ? "retry.max_attempts reached" : std::string();
    case RetryDecision::Stop::kRetryAfterTooLong:
      return "Retry-After of " + std::to_string(d.delay.count()) +
             " ms is over retry.max_retry_after";
    case RetryDecision::Stop::kNoTimeLeft:
      return "no time left for another attempt within timeout = " +
             std::to_string(options_.timeout.count()) + " ms";
    case RetryDecision::Stop::kNo:
      break;
  }
  return {};
}

}  // namespace cachedata::http
