// Request: what the application asks for. Its canonical form (see docs/FORMAT.md, "Request id")
// is what the cache id is derived from, so two requests that differ in method, endpoint,
// parameters, key headers, credentials or body never share an entry.
//
// Give either `uri` ("https://api.example.com/v1/items?page=2") or `scheme` + `host` + `path`.
// `params` are added to the query of the URI. A plain value type; not synchronised.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "cachedata/headers.hpp"

namespace cachedata {

struct Request {
  std::string method = "GET";
  std::string uri;  // absolute URI; when set, scheme/host/path are taken from it
  std::string scheme = "https";
  std::string host;  // host[:port]
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> params;  // query parameters, any order
  Headers headers;
  std::string body;
  // Credentials that are not in a header (a token, an API key, a user id). Part of the id, so
  // two users' private answers never share an entry; never sent by the built-in fetcher.
  std::string auth;
  // Skip the cached entry and call the source; the answer replaces the entry.
  bool force_refresh = false;
  // How long this get waits for the answer of a call to the source that another get (in this
  // process, or in another holding the lease) is making for the same entry. Past it, the get
  // answers with the stale entry (error:cache) or error:original, and the call goes on.
  // 0: as long as that call takes (bounded by the fetcher's timeouts and Profile::refresh_lease).
  // Not part of the id.
  std::chrono::milliseconds max_wait{0};

  static Request get(std::string uri) {
    Request r;
    r.uri = std::move(uri);
    return r;
  }
};

}  // namespace cachedata
