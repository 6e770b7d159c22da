// One HTTP exchange over libcurl for the AWS layer: the signed service calls (aws_transport)
// and the unsigned credential and key look-ups (IMDS, container endpoint, Lambda extension).
//
// It runs on the transport the HTTP fetcher uses too (http/easy_handle.hpp: one easy handle per
// thread with the invariant options set once, and http/response_header.hpp's parser), with a
// handle of its own per thread, so the AWS endpoints' connections stay open between calls on that
// thread and no handle is ever shared; http_exchange is safe to call from any number of threads.
// No retries here: that is the caller's policy. The request body is sent from the caller's
// buffer (never copied); the response body is received into one string reserved to the
// announced Content-Length, and hashed as it arrives when asked (hash_body) — or, for a caller
// that works on it as it arrives, a 2xx answer's body goes to body_consumer chunk by chunk.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cachedata/headers.hpp"
#include "crypto/sha256.hpp"

namespace cachedata::aws {

struct HttpExchange {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given
  // Sent as is for PUT and POST (and any method when not empty). Not owned: must stay valid
  // during the call.
  std::string_view body;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{10000};  // this exchange, connection included
  // A response body announced or grown over this is refused (CURLE_FILESIZE_EXCEEDED).
  uint64_t max_response_bytes = 1ull << 30;
  // Ignore any proxy of the environment (link-local metadata and loopback endpoints).
  bool no_proxy = false;
  // Compute HttpReply::body_sha256 chunk by chunk while the body arrives, each chunk while it is
  // still in cache: the hashing runs while the server is still sending (free when a core is
  // idle), instead of a second pass over the whole body after the last byte (15 ms for 20 MB).
  bool hash_body = false;
  // When set, the body of a 2xx answer goes here chunk by chunk as it arrives (hashed first,
  // with hash_body) and HttpReply::body stays empty; other answers (errors) are received into
  // `body` as usual. A false return stops the transfer (HttpReply::consumer_stopped).
  std::function<bool(std::string_view)> body_consumer;
};

struct HttpReply {
  CURLcode code = CURLE_OK;  // CURLE_OK: `status`, `headers`, `body` are the answer
  std::string error;         // what went wrong when code != CURLE_OK (no URL query, no headers)
  int status = 0;
  Headers headers;
  std::string body;
  std::optional<crypto::Digest> body_sha256;  // with hash_body, when code == CURLE_OK
  uint64_t streamed_bytes = 0;                // body bytes given to body_consumer
  bool consumer_stopped = false;  // body_consumer returned false (code is then an error)
  std::chrono::milliseconds took{0};
};

HttpReply http_exchange(const HttpExchange& request);

}  // namespace cachedata::aws
