// Region, endpoints and S3 addressing, resolved as the AWS SDKs resolve them, plus the
// ClientConfig every client is built from.
//
//   region    AwsOptions::region, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`
//   endpoint  AwsOptions::<service>_endpoint, AwsOptions::endpoint_url,
//             AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's `endpoint_url`
//             (the variables and the profile are skipped when
//             AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else https://<service>.<region>.
//             amazonaws.com (.com.cn in China regions)
//   S3        path-style for custom endpoints, for names that are not DNS-compatible or have a
//             dot (a wildcard certificate covers one label), or when AwsOptions /
//             the profile's `s3 = addressing_style = path` asks; else virtual-hosted
// Pure functions over their arguments (and the shared files); safe from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aws/aws_env.hpp"
#include "aws/credentials.hpp"
#include "cachedata/aws_options.hpp"
#include "cachedata/status.hpp"

namespace cachedata::aws {

enum class Service { kDynamoDb, kS3, kSsm };

// "DynamoDB", "S3", "SSM": for messages.
const char* service_title(Service service);
// The SigV4 signing name: "dynamodb", "s3", "ssm".
const char* signing_name(Service service);

Result<std::string> resolve_region(const AwsOptions& options, const EnvLookup& env);

struct Endpoint {
  std::string url;      // "https://dynamodb.eu-west-1.amazonaws.com", no trailing '/'
  bool custom = false;  // set by the user (options, environment or profile)
};

// The service's AWS endpoint in `region`.
std::string default_endpoint(Service service, std::string_view region);
Result<Endpoint> resolve_endpoint(Service service, const AwsOptions& options, const EnvLookup& env,
                                  std::string_view region);

// Lower-case letters, digits, '-' and '.', 3 to 63 characters, starting and ending with a
// letter or digit, not an IP address: a name that can be a host label (RFC 1123).
bool dns_compatible_bucket(std::string_view bucket);

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{10000};  // one call, every attempt and wait included
  int max_attempts = 4;
  std::chrono::milliseconds base_delay{50};
  std::chrono::milliseconds max_delay{2000};
  std::chrono::milliseconds max_retry_after{5000};
  uint64_t max_response_bytes = 1ull << 30;
};

// Everything a client needs. Build it with resolve_client_config, or by hand in tests.
struct ClientConfig {
  Service service = Service::kDynamoDb;
  std::string region;
  Endpoint endpoint;
  // S3: nullopt decides per bucket (see above); true / false force it.
  std::optional<bool> s3_path_style;
  std::shared_ptr<CredentialsProvider> credentials;
  TransportOptions transport;
};

// The config for `service` from `options`, the environment and the shared files. Credentials:
// `credentials` when given, static ones from `options`, else the default chain (shared by the
// clients created with the same provider; pass one provider to several clients to share it).
Result<ClientConfig> resolve_client_config(Service service, const AwsOptions& options,
                                           const EnvLookup& env = process_env(),
                                           std::shared_ptr<CredentialsProvider> credentials = {});

// Path-style for this bucket with this config?
bool use_path_style(const ClientConfig& config, std::string_view bucket);

}  // namespace cachedata::aws
