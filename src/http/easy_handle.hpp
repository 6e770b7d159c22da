// The HTTP fetcher's libcurl easy handle: one per thread, kept for the thread's life so the
// connections, DNS entries and TLS sessions it caches are reused across calls.
//
// Which options are set when. Resetting the handle and setting every option again before each
// request cost ~6k instructions a request (callgrind; a whole bare GET is ~79k), so:
//   - once, when the handle is made (the same for every request): PROTOCOLS_STR "http,https",
//     NOSIGNAL, FOLLOWLOCATION 0 (the fetcher follows redirects itself), ERRORBUFFER (owned
//     here), WRITEFUNCTION and HEADERFUNCTION;
//   - by prepare(), before every request: URL, CONNECTTIMEOUT_MS, TIMEOUT_MS, WRITEDATA and
//     HEADERDATA; the method (HTTPGET / NOBODY / POSTFIELDS + POSTFIELDSIZE_LARGE /
//     CUSTOMREQUEST), set back to a plain GET first whenever the previous request was anything
//     else; HTTPHEADER, a list rebuilt only when the header lines differ from the previous
//     request's; ACCEPT_ENCODING, when `decompress` differs from the previous request's.
// No other option is ever set on this handle, so nothing a request sets can leak into the next
// (tests/http_fetcher_test.cpp, "NothingLeaksIntoTheNextRequest").
//
// Not synchronised: a handle belongs to its thread (for_this_thread()).
#pragma once

#include <curl/curl.h>

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cachedata/headers.hpp"
#include "http/redirect.hpp"

namespace cachedata::http {

class EasyHandle {
 public:
  using Callback = size_t (*)(char*, size_t, size_t, void*);

  // The calling thread's handle, made on first use with these callbacks (which must be the same
  // on every call); nullptr when libcurl cannot make one.
  static EasyHandle* for_this_thread(Callback on_body, Callback on_header) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    thread_local EasyHandle handle(on_body, on_header);
    return handle.curl_ != nullptr ? &handle : nullptr;
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

  // Sets up the next request: `hop` (its body is not copied: it must outlive the request), the
  // User-Agent to send unless the hop has one, decoding, the timeouts, and the pointer the body
  // and header callbacks receive. false: out of memory building the header list.
  bool prepare(const Hop& hop, std::string_view user_agent, bool decompress,
               long connect_timeout_ms, long timeout_ms, void* callback_data) {
    error_[0] = '\0';
    curl_easy_setopt(curl_, CURLOPT_URL, hop.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, callback_data);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, callback_data);
    if (decompress != accept_encoding_) {
      // "": every encoding this libcurl decodes; nullptr: no Accept-Encoding, no decoding.
      curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, decompress ? "" : nullptr);
      accept_encoding_ = decompress;
    }
    const bool with_body = set_method(hop);
    return set_headers(hop, user_agent, with_body);
  }

 private:
  EasyHandle(Callback on_body, Callback on_header) : curl_(curl_easy_init()) {
    if (curl_ == nullptr) return;
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, on_header);
  }

  // The method group of options; returns whether the request sends a body. A fresh handle is a
  // plain GET: no NOBODY, no POSTFIELDS, no CUSTOMREQUEST, no UPLOAD.
  bool set_method(const Hop& hop) {
    const std::string& method = hop.method;
    const bool head = method == "HEAD";
    const bool with_body =
        !head && (!hop.body.empty() || method == "POST" || method == "PUT" || method == "PATCH");
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
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, hop.body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(hop.body.size()));
      if (method != "POST") curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    } else if (!plain_get) {
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    return with_body;
  }

  // HTTPHEADER: the hop's fields, then User-Agent unless the hop has one, then "Expect:" when a
  // body is sent (no 100-continue round trip; curl sends Expect only with a body). The list is
  // kept while the next request's lines are the same, as they are for repeated calls.
  bool set_headers(const Hop& hop, std::string_view user_agent, bool with_body) {
    for (const auto& field : hop.headers) {
      if (iequals(field.first, "user-agent")) {
        user_agent = {};  // the request's own wins
        break;
      }
    }
    if (list_valid_ && list_fields_ == hop.headers && list_user_agent_ == user_agent &&
        list_expect_ == with_body) {
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
    for (const auto& [name, value] : hop.headers) {
      // "Name;" sends an empty value ("Name:" would remove the header instead).
      if (!(value.empty() ? add(name, ";", "") : add(name, ": ", value))) return false;
    }
    if (!user_agent.empty() && !add("User-Agent", ": ", user_agent)) return false;
    if (with_body && !add("Expect:", "", "")) return false;
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, header_list_);
    list_fields_ = hop.headers;
    list_user_agent_.assign(user_agent);
    list_expect_ = with_body;
    list_valid_ = true;
    return true;
  }

  CURL* curl_;
  char error_[CURL_ERROR_SIZE] = {};
  bool plain_get_ = true;              // the method options are those of a fresh handle
  bool accept_encoding_ = false;       // ACCEPT_ENCODING is "" (set), not nullptr
  curl_slist* header_list_ = nullptr;  // set as HTTPHEADER when list_valid_
  // What header_list_ was built from.
  bool list_valid_ = false;
  std::vector<std::pair<std::string, std::string>> list_fields_;
  std::string list_user_agent_;
  bool list_expect_ = false;
};

}  // namespace cachedata::http
