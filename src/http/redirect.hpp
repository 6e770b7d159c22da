// Redirects in the HTTP fetcher (RFC 9110 §15.4): which answers are followed, how a Location
// (absolute or relative) resolves against the URL that answered, and what the next request
// keeps of the previous one. Pure functions (URL parsing uses libcurl's URL API, no I/O).
//
//   - 301, 302, 303, 307, 308 with a Location are followed; other 3xx are answers;
//   - 303: every method but HEAD becomes GET, without a body;
//   - 301, 302: POST becomes GET without a body (RFC 9110 allows it; browsers and curl do it);
//     other methods are kept;
//   - 307, 308: method and body are kept;
//   - when the method becomes GET, the content headers (Content-Type, Content-Encoding, ...) go;
//   - a redirect to another origin (scheme, host or port) drops Authorization, Cookie and
//     Proxy-Authorization, and a Host set by the request.
//
// Header-only, so the library needs no extra source file for it.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cachedata/headers.hpp"

namespace cachedata::http {

// One request on the way to the answer: the first, or one after a redirect.
struct Hop {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, in order
  std::string body;
};

inline bool is_followed_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

namespace detail {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

inline std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  if (curl_url_get(u, part, &text, flags) != CURLUE_OK || text == nullptr) return {};
  std::string out(text);
  curl_free(text);
  return out;
}

}  // namespace detail

// `location` resolved against `base` (RFC 3986 §5.2), without a fragment; std::nullopt when
// either does not parse or the result is not http(s).
inline std::optional<std::string> resolve_location(const std::string& base,
                                                   const std::string& location) {
  detail::UrlHandle u(curl_url());
  if (!u || location.empty()) return std::nullopt;
  if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) return std::nullopt;
  // With a base already set, a relative reference is resolved against it.
  if (curl_url_set(u.get(), CURLUPART_URL, location.c_str(), CURLU_ALLOW_SPACE) != CURLUE_OK) {
    return std::nullopt;
  }
  const std::string scheme = detail::url_part(u.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  std::string out = detail::url_part(u.get(), CURLUPART_URL);
  if (out.empty()) return std::nullopt;
  return out;
}

// "scheme://host:port" of an absolute URL (the port always given), or "" if it does not parse.
inline std::string origin_of(const std::string& url) {
  detail::UrlHandle u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return {};
  return detail::url_part(u.get(), CURLUPART_SCHEME) + "://" +
         to_lower(detail::url_part(u.get(), CURLUPART_HOST)) + ":" +
         detail::url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

// The request that follows answer `status` (a followed redirect) of `from`, to `target` (an
// absolute URL, from resolve_location).
inline Hop redirected(Hop from, int status, std::string target) {
  Hop next = std::move(from);
  const bool to_get = (status == 303 && next.method != "HEAD") ||
                      ((status == 301 || status == 302) && next.method == "POST");
  auto drop = [&next](std::initializer_list<std::string_view> names) {
    std::erase_if(next.headers, [names](const auto& field) {
      for (std::string_view name : names) {
        if (iequals(field.first, name)) return true;
      }
      return false;
    });
  };
  if (to_get) {
    next.method = "GET";
    next.body.clear();
    drop({"Content-Type", "Content-Encoding", "Content-Language", "Content-Location",
          "Content-Length", "Content-Digest", "Digest", "Transfer-Encoding"});
  }
  if (origin_of(target) != origin_of(next.url)) {
    drop({"Authorization", "Proxy-Authorization", "Cookie", "Host"});
  }
  next.url = std::move(target);
  return next;
}

}  // namespace cachedata::http
