// The four places the AWS SDKs look for credentials, in their order (credentials.hpp chains
// them). Each source answers kNotFound when it is not configured, so the chain moves on.
//
//   environment  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]
//   profile      aws_access_key_id / aws_secret_access_key [/ aws_session_token] of the profile
//                (AWS_PROFILE or "default") in the credentials file, then the config file
//   container    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on http://169.254.170.2) or
//                AWS_CONTAINER_CREDENTIALS_FULL_URI (https anywhere; http only to loopback or
//                the ECS / EKS agent addresses 169.254.170.2, 169.254.170.23, fd00:ec2::23),
//                with `Authorization:` from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on
//                every fetch: EKS rotates it) or AWS_CONTAINER_AUTHORIZATION_TOKEN
//   imds         EC2 instance metadata, IMDSv2 only: PUT /latest/api/token (TTL header), then
//                the role name, then its credentials. AWS_EC2_METADATA_DISABLED=true turns it
//                off; AWS_EC2_METADATA_SERVICE_ENDPOINT overrides http://169.254.169.254.
// Sources are stateless between fetches and safe from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aws/aws_env.hpp"
#include "aws/credentials.hpp"

namespace cachedata::aws {

std::unique_ptr<CredentialsSource> environment_source(EnvLookup env);
// `profile` empty: AWS_PROFILE or "default".
std::unique_ptr<CredentialsSource> profile_source(EnvLookup env, std::string profile = "");
std::unique_ptr<CredentialsSource> container_source(EnvLookup env);
std::unique_ptr<CredentialsSource> imds_source(EnvLookup env);

// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}: the shape both the container
// endpoint and IMDS answer with. Errors name the missing field, never a value.
Result<AwsCredentials> parse_credentials_json(std::string_view body, const std::string& source);

// "2026-11-25T21:00:00Z", with optional fractional seconds and a "+hh:mm" offset.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

// Whether AWS_CONTAINER_CREDENTIALS_FULL_URI may be used (see above).
bool container_uri_allowed(std::string_view uri);

}  // namespace cachedata::aws
