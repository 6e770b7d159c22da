// The built-in HTTP fetcher on libcurl. Each thread keeps one easy handle, so connections to an
// origin are reused across calls (curl keeps the connection cache in the handle).
#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "cachedata/http_fetcher.hpp"
#include "core/url.hpp"

namespace cachedata {
namespace {

#ifndef CACHEDATA_VERSION
#define CACHEDATA_VERSION "0"
#endif

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
  curl_easy_reset(handle.get());  // options of the previous call must not leak into this one
  return handle.get();
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Transfer {
  Response response;
  uint64_t max_body = 0;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->response.body.size() + n > t->max_body) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->response.body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->response.headers = Headers();  // a new response (after a redirect or 100-continue)
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  t->response.headers.add(std::string(name), std::string(value));
  return n;
}

}  // namespace

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
  CURL* h = thread_handle();
  if (h == nullptr) return Response::failure("libcurl could not create a handle");
  Transfer transfer;
  transfer.max_body = options_.max_body_bytes;
  std::string url = request_url(request);
  std::string method = request.method.empty() ? "GET" : request.method;

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  bool has_user_agent = false;
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "user-agent")) has_user_agent = true;
    add_header(name + ": " + value);
  }
  if (!has_user_agent) {
    add_header("User-Agent: " + (options_.user_agent.empty()
                                     ? std::string("cachedata/") + CACHEDATA_VERSION
                                     : options_.user_agent));
  }
  if (!validators.etag.empty()) add_header("If-None-Match: " + validators.etag);
  if (!validators.last_modified.empty())
    add_header("If-Modified-Since: " + validators.last_modified);
  add_header("Expect:");  // no 100-continue round trip for request bodies

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, options_.max_redirects > 0 ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, options_.max_redirects);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  if (method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (!request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  if (transfer.too_large) {
    return Response::failure("answer from " + url + " is larger than the maximum body size of " +
                             std::to_string(options_.max_body_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    return Response::failure(std::string(curl_easy_strerror(rc)) + " (" + url + ")");
  }
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  transfer.response.status_code = static_cast<int>(code);
  // The body is decoded by curl: the stored encoding headers would describe bytes we no longer
  // hold.
  if (transfer.response.headers.remove("content-encoding") > 0) {
    transfer.response.headers.remove("content-length");
  }
  return std::move(transfer.response);
}

}  // namespace cachedata
