#include "aws/aws_endpoints.hpp"

#include "aws/aws_config_file.hpp"
#include "cachedata/headers.hpp"

namespace cachedata::aws {
namespace {

const char* env_suffix(Service service) {
  switch (service) {
    case Service::kDynamoDb:
      return "DYNAMODB";
    case Service::kS3:
      return "S3";
    case Service::kSsm:
      return "SSM";
  }
  return "";
}

// "http(s)://host[:port]" with at most a trailing '/'; the error names where it came from.
Result<std::string> checked_endpoint(std::string url, const std::string& origin) {
  std::string lower = to_lower(url);
  if (!lower.starts_with("http://") && !lower.starts_with("https://")) {
    return Status::invalid_argument(origin + ": endpoint '" + url +
                                    "' must start with http:// or https://");
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  const size_t host_start = url.find("://") + 3;
  if (host_start >= url.size()) {
    return Status::invalid_argument(origin + ": endpoint '" + url + "' has no host");
  }
  if (url.find_first_of("/?#@", host_start) != std::string::npos) {
    return Status::invalid_argument(origin + ": endpoint '" + url +
                                    "' must be scheme://host[:port], without path or user");
  }
  return url;
}

bool truthy(const std::optional<std::string>& v) {
  return v && (to_lower(*v) == "true" || *v == "1");
}

}  // namespace

const char* service_title(Service service) {
  switch (service) {
    case Service::kDynamoDb:
      return "DynamoDB";
    case Service::kS3:
      return "S3";
    case Service::kSsm:
      return "SSM";
  }
  return "AWS";
}

const char* signing_name(Service service) {
  switch (service) {
    case Service::kDynamoDb:
      return "dynamodb";
    case Service::kS3:
      return "s3";
    case Service::kSsm:
      return "ssm";
  }
  return "";
}

Result<std::string> resolve_region(const AwsOptions& options, const EnvLookup& env) {
  std::string region = options.region;
  if (region.empty()) region = env_value(env, "AWS_REGION").value_or("");
  if (region.empty()) region = env_value(env, "AWS_DEFAULT_REGION").value_or("");
  if (region.empty()) {
    region = load_profile(env, profile_name(env, options.profile)).get("region").value_or("");
  }
  if (region.empty()) {
    return Status::invalid_argument(
        "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, the profile's region, or "
        "AwsOptions::region)");
  }
  for (char c : region) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return Status::invalid_argument("AWS region '" + region + "' is not a region name");
  }
  return region;
}

std::string default_endpoint(Service service, std::string_view region) {
  const std::string suffix = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://" + std::string(signing_name(service)) + "." + std::string(region) + suffix;
}

Result<Endpoint> resolve_endpoint(Service service, const AwsOptions& options, const EnvLookup& env,
                                  std::string_view region) {
  auto custom = [](Result<std::string> url) -> Result<Endpoint> {
    if (!url) return url.status();
    return Endpoint{std::move(url).value(), true};
  };
  const std::string& own = service == Service::kDynamoDb ? options.dynamodb_endpoint
                           : service == Service::kS3     ? options.s3_endpoint
                                                         : options.ssm_endpoint;
  if (!own.empty()) return custom(checked_endpoint(own, "AwsOptions"));
  if (!options.endpoint_url.empty()) {
    return custom(checked_endpoint(options.endpoint_url, "AwsOptions::endpoint_url"));
  }
  if (!truthy(env_value(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) {
    const std::string var = std::string("AWS_ENDPOINT_URL_") + env_suffix(service);
    if (auto v = env_value(env, var.c_str())) return custom(checked_endpoint(*v, var));
    if (auto v = env_value(env, "AWS_ENDPOINT_URL")) {
      return custom(checked_endpoint(*v, "AWS_ENDPOINT_URL"));
    }
    const std::string profile = profile_name(env, options.profile);
    if (auto v = load_profile(env, profile).get("endpoint_url")) {
      return custom(checked_endpoint(*v, "profile '" + profile + "' endpoint_url"));
    }
  }
  return Endpoint{default_endpoint(service, region), false};
}

bool dns_compatible_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  bool all_digits_or_dots = true;
  for (char c : b) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
    if (!((c >= '0' && c <= '9') || c == '.')) all_digits_or_dots = false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(b.front()) || !alnum(b.back())) return false;
  if (b.find("..") != std::string_view::npos || b.find(".-") != std::string_view::npos ||
      b.find("-.") != std::string_view::npos) {
    return false;
  }
  return !all_digits_or_dots;  // "192.168.1.1" is an address, not a name
}

Result<ClientConfig> resolve_client_config(Service service, const AwsOptions& options,
                                           const EnvLookup& env,
                                           std::shared_ptr<CredentialsProvider> credentials) {
  ClientConfig config;
  config.service = service;
  auto region = resolve_region(options, env);
  if (!region) return region.status();
  config.region = std::move(region).value();
  auto endpoint = resolve_endpoint(service, options, env, config.region);
  if (!endpoint) return endpoint.status();
  config.endpoint = std::move(endpoint).value();
  if (service == Service::kS3) {
    config.s3_path_style = options.s3_force_path_style;
    if (!config.s3_path_style) {
      auto style = load_profile(env, profile_name(env, options.profile)).get("s3.addressing_style");
      if (style == "path") config.s3_path_style = true;
      if (style == "virtual") config.s3_path_style = false;
    }
  }
  if (credentials) {
    config.credentials = std::move(credentials);
  } else if (!options.access_key_id.empty()) {
    if (options.secret_access_key.empty()) {
      return Status::invalid_argument(
          "AwsOptions: access_key_id is set but secret_access_key is not");
    }
    config.credentials = std::make_shared<StaticCredentialsProvider>(
        Credentials{options.access_key_id, options.secret_access_key, options.session_token});
  } else {
    config.credentials = default_credentials_provider(env, options.profile);
  }
  if (options.connect_timeout.count() <= 0 || options.timeout.count() <= 0 ||
      options.s3_timeout.count() <= 0) {
    return Status::invalid_argument(
        "AwsOptions: connect_timeout, timeout and s3_timeout must be > 0");
  }
  if (options.max_attempts < 1 || options.max_attempts > 20) {
    return Status::invalid_argument("AwsOptions: max_attempts = " +
                                    std::to_string(options.max_attempts) + ", must be in [1, 20]");
  }
  config.transport.connect_timeout = options.connect_timeout;
  config.transport.timeout = service == Service::kS3 ? options.s3_timeout : options.timeout;
  config.transport.max_attempts = options.max_attempts;
  return config;
}

bool use_path_style(const ClientConfig& config, std::string_view bucket) {
  if (!dns_compatible_bucket(bucket)) return true;
  if (config.s3_path_style) return *config.s3_path_style;
  if (config.endpoint.custom) return true;
  // A dotted name breaks the *.s3.amazonaws.com certificate over https.
  return bucket.find('.') != std::string_view::npos;
}

}  // namespace cachedata::aws
