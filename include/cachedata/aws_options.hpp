// AwsOptions: how cachedata reaches AWS (DynamoDB, S3, SSM) when the application wants to
// override what the environment says.
//
// Every field is optional: an empty or unset field means "as the AWS SDKs would decide", from
// AWS_REGION / AWS_DEFAULT_REGION / the shared config file, AWS_ENDPOINT_URL[_<SERVICE>] and the
// credentials chain (environment, shared files with AWS_PROFILE, container, EC2 IMDSv2). A plain
// value type; the clients copy what they need when they are created.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace cachedata {

struct AwsOptions {
  // "eu-west-1". Empty: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's `region`.
  std::string region;
  // The profile of the shared files. Empty: AWS_PROFILE, else "default".
  std::string profile;

  // Endpoint overrides ("http://127.0.0.1:8000"). A service's own field wins over `endpoint_url`;
  // both win over the AWS_ENDPOINT_URL* variables; empty everywhere: the service's AWS endpoint.
  std::string endpoint_url;
  std::string dynamodb_endpoint;
  std::string s3_endpoint;
  std::string ssm_endpoint;

  // S3 addressing. nullopt: virtual-hosted ("bucket.s3.region.amazonaws.com") on AWS for
  // DNS-compatible names without dots, path-style ("host/bucket/key") otherwise and for custom
  // endpoints, unless the profile says `s3 = addressing_style = virtual|path`.
  std::optional<bool> s3_force_path_style;

  // Static credentials; when access_key_id is set, the chain is not consulted. Prefer the chain.
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;

  std::chrono::milliseconds connect_timeout{2000};  // per connection attempt
  // Total deadline of one call (every attempt and wait included). S3 object transfers use
  // `s3_timeout`, which must allow for the largest object at the slowest expected speed.
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds s3_timeout{60000};
  int max_attempts = 4;  // per call, the first included
};

}  // namespace cachedata
