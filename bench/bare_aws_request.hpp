// The bare operations the shared store wraps, as the AWS benchmarks' reference: a DynamoDB
// GetItem and an S3 GetObject, each a SigV4-signed request (our signer, src/aws/sigv4.*) on one
// kept-alive libcurl handle whose options are set once, with no client layer, no retries and
// no parsing — only the HTTP status is checked. The answer is received as any client must: into
// a string of its own, reserved once to the announced Content-Length. One object per thread.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <string>

#include "aws/sigv4.hpp"
#include "base/hex.hpp"
#include "crypto/sha256.hpp"

namespace cachedata::bench {

class BareAwsRequest {
 public:
  // `endpoint`: "http://127.0.0.1:PORT"; `service`: "dynamodb" or "s3".
  BareAwsRequest(std::string endpoint, std::string service)
      : endpoint_(std::move(endpoint)), service_(std::move(service)), h_(curl_easy_init()) {
    curl_easy_setopt(h_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h_, CURLOPT_WRITEDATA, this);
    host_ = endpoint_.substr(endpoint_.find("://") + 3);
  }
  ~BareAwsRequest() { curl_easy_cleanup(h_); }
  BareAwsRequest(const BareAwsRequest&) = delete;
  BareAwsRequest& operator=(const BareAwsRequest&) = delete;

  // DynamoDB GetItem of the item with string key `id_hash` = `id`; the HTTP status.
  long get_item(const std::string& table, const std::string& id) {
    // What the client sends too: the same document, so the server does the same work.
    const std::string json =
        "{\"TableName\":\"" + table + "\",\"Key\":{\"id_hash\":{\"S\":\"" + id + "\"}}}";
    aws::HttpRequestToSign r;
    r.method = "POST";
    r.path = "/";
    r.headers = {{"Host", host_},
                 {"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
    aws::SigningParams params;
    params.region = "us-east-1";
    params.service = service_;
    params.time = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    params.payload_hash = base::to_hex(crypto::sha256(json));
    curl_easy_setopt(h_, CURLOPT_URL, (endpoint_ + "/").c_str());
    curl_easy_setopt(h_, CURLOPT_POSTFIELDS, json.c_str());
    curl_easy_setopt(h_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json.size()));
    return perform(r, params);
  }

  // S3 GetObject (path-style) of `key` in `bucket`; the HTTP status.
  long get_object(const std::string& bucket, const std::string& key) {
    aws::HttpRequestToSign r;
    r.method = "GET";
    r.path = "/" + bucket + "/" + key;
    r.headers = {{"Host", host_}};
    aws::SigningParams params = aws::s3_params(
        "us-east-1", std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    params.payload_hash = kEmptySha256;
    curl_easy_setopt(h_, CURLOPT_URL, (endpoint_ + r.path).c_str());
    curl_easy_setopt(h_, CURLOPT_HTTPGET, 1L);
    return perform(r, params);
  }

  std::string body;  // the last answer's body

 private:
  static constexpr const char* kEmptySha256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  long perform(aws::HttpRequestToSign& r, const aws::SigningParams& params) {
    auto signed_request = aws::sign_headers(r, kCredentials, params);
    if (!signed_request) return -1;
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : r.headers) {
      if (name != "Host") headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    for (const auto& [name, value] : signed_request->headers) {
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    curl_easy_setopt(h_, CURLOPT_HTTPHEADER, headers);
    body = std::string();  // a new buffer per answer, as the caller keeps it
    long status = 0;
    if (curl_easy_perform(h_) == CURLE_OK) curl_easy_getinfo(h_, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(h_, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    return status;
  }

  static size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* self = static_cast<BareAwsRequest*>(user);
    if (self->body.empty()) {
      // The headers are in: reserve the whole answer once.
      curl_off_t length = -1;
      curl_easy_getinfo(self->h_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
      if (length > 0) self->body.reserve(static_cast<size_t>(length));
    }
    self->body.append(data, size * n);
    return size * n;
  }

  static inline const aws::Credentials kCredentials{"AKIDCACHEDATABENCH", "bench-secret-key", ""};

  std::string endpoint_;
  std::string service_;
  std::string host_;
  CURL* h_;
};

}  // namespace cachedata::bench
