// The one HTTP transport under the HTTP fetcher and the AWS clients: a libcurl easy handle per
// thread and per kind of caller, kept for the thread's life so the connections, DNS entries and
// TLS sessions it caches are reused across calls; the response header lines are parsed by
// http/response_header.hpp for both.
//
// Which options are set when. Resetting the handle and setting every option again before each
// request cost ~6k instructions a request (callgrind; a whole bare GET is ~79k), so:
//   - once, when the handle is made (the same for every request): PROTOCOLS_STR "http,https",
//     NOSIGNAL, FOLLOWLOCATION 0 (callers follow redirects themselves), TCP_NODELAY, ERRORBUFFER
//     (owned here), WRITEFUNCTION and HEADERFUNCTION (fixed per handle: the template arguments);
//   - by prepare(), before every request: URL, CONNECTTIMEOUT_MS, TIMEOUT_MS, WRITEDATA and
//     HEADERDATA; the method (HTTPGET / NOBODY / POSTFIELDS + POSTFIELDSIZE_LARGE /
//     CUSTOMREQUEST), set back to a plain GET first whenever the previous request was anything
//     else; HTTPHEADER, a list rebuilt only when the header lines differ from the previous
//     request's; ACCEPT_ENCODING and PROXY, each only when it differs from the previous
//     request's.
// No other option is ever set on this handle, so nothing a request sets can leak into the next
// (tests/http_fetcher_test.cpp, "NothingLeaksIntoTheNextRequest").
//
// Not synchronised: a handle belongs to its thread (for_this_thread()).
#pragma once

#include <curl/curl.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cachedata/headers.hpp"

namespace cachedata::http {

// What one request puts on the wire. Nothing is copied: it must outlive the request.
struct WireRequest {
  const std::string& method;  // GET, HEAD, POST, PUT, PATCH, DELETE or any other token
  const std::string& url;
  const std::vector<std::pair<std::string, std::string>>& headers;  // sent as given, in order
  std::string_view body;  // sent for POST, PUT and PATCH, and for any method when not empty
};

// How prepare() sends it.
struct WireOptions {
  std::string_view user_agent;  // sent unless the request has a User-Agent; "": none
  bool decompress = false;      // Accept-Encoding of every coding libcurl decodes, and decode
  long connect_timeout_ms = 0;
  long timeout_ms = 0;    // the whole exchange, connection included
  bool no_proxy = false;  // ignore the environment's proxy (link-local and loopback endpoints)
  // A body sent without a Content-Type gets none (libcurl would send a form type).
  bool no_default_content_type = false;
  void* callback_data = nullptr;  // what the body and header callbacks receive
};

class EasyHandle {
 public:
  using Callback = size_t (*)(char*, size_t, size_t, void*);

  // The calling thread's handle for these callbacks (one per pair, so the fetcher's origins and
  // the AWS endpoints keep their own connections), made on first use; nullptr when libcurl
  // cannot make one.
  template <Callback on_body, Callback on_header>
  static EasyHandle* for_this_thread() {
    global_init();
    thread_local EasyHandle handle(on_body, on_header);
    return handle.curl_ != nullptr ? &handle : nullptr;
  }
  // A handle of its own (the asynchronous fetcher's: one per call in flight, on its thread);
  // nullptr when libcurl cannot make one.
  template <Callback on_body, Callback on_header>
  static std::unique_ptr<EasyHandle> make() {
    global_init();
    std::unique_ptr<EasyHandle> handle(new EasyHandle(on_body, on_header));
    return handle->curl_ != nullptr ? std::move(handle) : nullptr;
  }

  EasyHandle(const EasyHandle&) = delete;
  EasyHandle& operator=(const EasyHandle&) = delete;
  ~EasyHandle() {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
    curl_slist_free_all(header_list_);
  }

  CURL* get() const { return curl_; }
  // What libcurl said about the last request's failure ("" if nothing).
  const char* error_text() const { return error_; }

  // Why the last request failed with `code`, for an error message (no URL, no header): "timed out
  // after 2001 ms (<limit>; curl: …)", "connection refused (curl: …)", "could not resolve the host
  // (curl: …)", "curl: …". `limit` names the limit a timeout hit ("" for none).
  std::string describe_failure(CURLcode code, long long took_ms, std::string_view limit) const {
    const std::string detail = error_[0] != '\0' ? error_ : curl_easy_strerror(code);
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        return "timed out after " + std::to_string(took_ms) + " ms (" +
               (limit.empty() ? std::string() : std::string(limit) + "; ") + "curl: " + detail +
               ")";
      case CURLE_COULDNT_CONNECT: {
        long os_errno = 0;
        curl_easy_getinfo(curl_, CURLINFO_OS_ERRNO, &os_errno);
        return std::string(os_errno == ECONNREFUSED ? "connection refused" : "could not connect") +
               " (curl: " + detail + ")";
      }
      case CURLE_COULDNT_RESOLVE_HOST:
        return "could not resolve the host (curl: " + detail + ")";
      default:
        return "curl: " + detail;
    }
  }

  // Sets up the next request. false: out of memory building the header list.
  bool prepare(const WireRequest& request, const WireOptions& options) {
    error_[0] = '\0';
    curl_easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, options.timeout_ms);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, options.callback_data);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, options.callback_data);
    if (options.decompress != accept_encoding_) {
      // "": every encoding this libcurl decodes; nullptr: no Accept-Encoding, no decoding.
      curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, options.decompress ? "" : nullptr);
      accept_encoding_ = options.decompress;
    }
    if (options.no_proxy != no_proxy_) {
      // "": no proxy at all; nullptr: libcurl's default (the environment's).
      curl_easy_setopt(curl_, CURLOPT_PROXY, options.no_proxy ? "" : nullptr);
      no_proxy_ = options.no_proxy;
    }
    const bool with_body = set_method(request);
    return set_headers(request, options, with_body);
  }

 private:
  static void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }
  EasyHandle(Callback on_body, Callback on_header) : curl_(curl_easy_init()) {
    if (curl_ == nullptr) return;
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, on_header);
  }

  // The method group of options; returns whether the request sends a body. A fresh handle is a
  // plain GET: no NOBODY, no POSTFIELDS, no CUSTOMREQUEST, no UPLOAD.
  bool set_method(const WireRequest& request) {
    const std::string& method = request.method;
    const bool head = method == "HEAD";
    const bool with_body = !head && (!request.body.empty() || method == "POST" || method == "PUT" ||
                                     method == "PATCH");
    const bool plain_get = !head && !with_body && method == "GET";
    if (plain_get && plain_get_) return false;  // nothing to undo, nothing to set
    // Back to a plain GET. POSTFIELDS nullptr first: it also selects POST, which HTTPGET then
    // replaces (HTTPGET also clears NOBODY and UPLOAD).
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, nullptr);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, nullptr);
    curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    plain_get_ = plain_get;
    if (head) {
      curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
    } else if (with_body) {
      // Sent from the caller's buffer, never copied. An empty body still needs a pointer
      // (nullptr would make libcurl read the body from the read callback).
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS,
                       request.body.data() != nullptr ? request.body.data() : "");
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      if (method != "POST") curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    } else if (!plain_get) {
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    return with_body;
  }

  // HTTPHEADER: the request's fields, then User-Agent unless the request has one, then
  // "Expect:" when a body is sent (no 100-continue round trip; curl sends Expect only with a
  // body), and "Content-Type:" (none) when asked and the request has none. The list is kept
  // while the next request's lines are the same, as they are for repeated calls.
  bool set_headers(const WireRequest& request, const WireOptions& options, bool with_body) {
    std::string_view user_agent = options.user_agent;
    bool no_content_type = options.no_default_content_type && with_body;
    for (const auto& field : request.headers) {
      if (iequals(field.first, "user-agent")) user_agent = {};  // the request's own wins
      if (iequals(field.first, "content-type")) no_content_type = false;
    }
    if (list_valid_ && list_fields_ == request.headers && list_user_agent_ == user_agent &&
        list_expect_ == with_body && list_no_content_type_ == no_content_type) {
      return true;
    }
    list_valid_ = false;
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(header_list_);
    header_list_ = nullptr;
    std::string line;
    line.reserve(256);
    auto add = [&](std::string_view name, std::string_view separator, std::string_view value) {
      line.assign(name).append(separator).append(value);
      curl_slist* next = curl_slist_append(header_list_, line.c_str());
      if (next == nullptr) return false;
      header_list_ = next;
      return true;
    };
    for (const auto& [name, value] : request.headers) {
      // "Name;" sends an empty value ("Name:" would remove the header instead).
      if (!(value.empty() ? add(name, ";", "") : add(name, ": ", value))) return false;
    }
    if (!user_agent.empty() && !add("User-Agent", ": ", user_agent)) return false;
    if (with_body && !add("Expect:", "", "")) return false;
    if (no_content_type && !add("Content-Type:", "", "")) return false;
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, header_list_);
    list_fields_ = request.headers;
    list_user_agent_.assign(user_agent);
    list_expect_ = with_body;
    list_no_content_type_ = no_content_type;
    list_valid_ = true;
    return true;
  }

  CURL* curl_;
  char error_[CURL_ERROR_SIZE] = {};
  bool plain_get_ = true;              // the method options are those of a fresh handle
  bool accept_encoding_ = false;       // ACCEPT_ENCODING is "" (set), not nullptr
  bool no_proxy_ = false;              // PROXY is "" (set), not nullptr
  curl_slist* header_list_ = nullptr;  // set as HTTPHEADER when list_valid_
  // What header_list_ was built from.
  bool list_valid_ = false;
  std::vector<std::pair<std::string, std::string>> list_fields_;
  std::string list_user_agent_;
  bool list_expect_ = false;
  bool list_no_content_type_ = false;
};

}  // namespace cachedata::http
