// The signed-request layer under the DynamoDB, S3 and SSM clients: one call = sign (SigV4),
// send (aws_http, kept-alive per-thread connections), and on a transient failure wait and try
// again, all under one deadline.
//
//   transient  connection errors and timeouts of an attempt, 5xx, 429, throttling codes
//              (ThrottlingException, ProvisionedThroughputExceededException,
//              RequestLimitExceeded, SlowDown...): retried with exponential backoff and full
//              jitter (http/retry_policy.hpp), or the server's Retry-After, bounded by
//              TransportOptions::max_attempts and ::timeout
//   expired credentials (ExpiredToken...): the provider is invalidated and the call retried once
//   anything else: final
// Every failure comes back as a Status whose message names the service, the operation, the
// HTTP status, the AWS error code and message, the attempts and the time taken. Request
// bodies are sent from the caller's buffer and hashed in place (no copy). Safe from many
// threads: the transport itself is immutable.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_endpoints.hpp"
#include "aws/aws_error.hpp"
#include "aws/aws_http.hpp"
#include "aws/signing_key_cache.hpp"
#include "aws/sigv4.hpp"

namespace cachedata::aws {

struct AwsRequest {
  std::string operation;  // "PutItem": for messages
  std::string method = "POST";
  std::string path = "/";      // percent-encoded for the wire
  std::vector<Field> query;    // percent-DECODED
  std::vector<Field> headers;  // Content-Type, X-Amz-Target, Content-MD5...; no Host
  std::string_view body;       // not owned; must outlive the call
  std::string endpoint;        // empty: the config's endpoint (S3 virtual hosts set it)
  // Precomputed hex SHA-256 of `body` (a caller that already hashed it); empty: computed.
  std::string payload_sha256;
  // Hash the answer's body as it arrives (HttpReply::body_sha256; see HttpExchange).
  bool hash_response_body = false;
  // A 2xx answer's body goes here as it arrives instead of into the reply (see HttpExchange).
  // An attempt that fails after some of it was handed over is not retried: the consumer has
  // seen those bytes.
  std::function<bool(std::string_view)> response_body_consumer;
};

struct CallResult {
  Status status;                  // ok: `reply` is a 2xx answer
  HttpReply reply;                // the last answer received, if any
  std::optional<AwsError> error;  // the service's error, when it answered with one
  int attempts = 0;
};

class AwsTransport {
 public:
  explicit AwsTransport(ClientConfig config);

  CallResult call(const AwsRequest& request, Protocol protocol) const;

  const ClientConfig& config() const { return config_; }

 private:
  ClientConfig config_;
  // Shared by copies of the transport: one derivation a day for all of them.
  std::shared_ptr<SigningKeyCache> signing_keys_ = std::make_shared<SigningKeyCache>();
};

}  // namespace cachedata::aws
