// Region and endpoint resolution in the SDKs' order of precedence, and S3 addressing
// (virtual-hosted on AWS for DNS-compatible names, path-style for custom endpoints).
#include <gtest/gtest.h>

#include <fstream>

#include "aws/aws_endpoints.hpp"
#include "support/aws_test_support.hpp"
#include "support/test_support.hpp"

namespace cachedata::aws {
namespace {

using cachedata::testing::env_of;
using cachedata::testing::TempDir;

TEST(AwsRegion, OptionsThenAwsRegionThenDefaultRegionThenProfile) {
  TempDir dir;
  std::ofstream(dir.path() + "/config") << "[default]\nregion = ap-south-1\n"
                                        << "[profile p]\nregion = sa-east-1\n";
  std::map<std::string, std::string> vars{{"AWS_CONFIG_FILE", dir.path() + "/config"},
                                          {"AWS_REGION", "eu-west-1"},
                                          {"AWS_DEFAULT_REGION", "eu-central-1"}};
  AwsOptions options;
  options.region = "us-west-2";
  EXPECT_EQ(*resolve_region(options, env_of(vars)), "us-west-2");
  options.region.clear();
  EXPECT_EQ(*resolve_region(options, env_of(vars)), "eu-west-1");
  vars.erase("AWS_REGION");
  EXPECT_EQ(*resolve_region(options, env_of(vars)), "eu-central-1");
  vars.erase("AWS_DEFAULT_REGION");
  EXPECT_EQ(*resolve_region(options, env_of(vars)), "ap-south-1");
  vars["AWS_PROFILE"] = "p";
  EXPECT_EQ(*resolve_region(options, env_of(vars)), "sa-east-1");
  options.profile = "default";
  EXPECT_EQ(*resolve_region(options, env_of(vars)), "ap-south-1");
}

TEST(AwsRegion, MissingOrMalformedRegionIsAClearError) {
  auto none = resolve_region({}, env_of({{"HOME", "/nonexistent"}}));
  EXPECT_EQ(none.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(none.status().message().find("AWS_REGION"), std::string::npos);
  EXPECT_FALSE(resolve_region({}, env_of({{"AWS_REGION", "eu west"}})));
}

TEST(AwsEndpoints, DefaultsPerServiceAndPartition) {
  EXPECT_EQ(default_endpoint(Service::kDynamoDb, "eu-west-1"),
            "https://dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(default_endpoint(Service::kS3, "us-east-1"), "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(default_endpoint(Service::kSsm, "eu-west-1"), "https://ssm.eu-west-1.amazonaws.com");
  EXPECT_EQ(default_endpoint(Service::kSsm, "cn-north-1"),
            "https://ssm.cn-north-1.amazonaws.com.cn");
}

TEST(AwsEndpoints, ServiceSpecificBeatsGlobalAndOptionsBeatEnvironment) {
  std::map<std::string, std::string> vars{{"HOME", "/nonexistent"},
                                          {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"},
                                          {"AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2/"}};
  AwsOptions options;
  auto ddb = resolve_endpoint(Service::kDynamoDb, options, env_of(vars), "us-east-1");
  ASSERT_TRUE(ddb);
  EXPECT_EQ(ddb->url, "http://127.0.0.1:2");
  EXPECT_TRUE(ddb->custom);
  EXPECT_EQ(resolve_endpoint(Service::kS3, options, env_of(vars), "us-east-1")->url,
            "http://127.0.0.1:1");
  vars["AWS_ENDPOINT_URL_SSM"] = "http://127.0.0.1:3";
  EXPECT_EQ(resolve_endpoint(Service::kSsm, options, env_of(vars), "us-east-1")->url,
            "http://127.0.0.1:3");
  options.endpoint_url = "http://127.0.0.1:4";
  EXPECT_EQ(resolve_endpoint(Service::kDynamoDb, options, env_of(vars), "us-east-1")->url,
            "http://127.0.0.1:4");
  options.dynamodb_endpoint = "http://127.0.0.1:5";
  EXPECT_EQ(resolve_endpoint(Service::kDynamoDb, options, env_of(vars), "us-east-1")->url,
            "http://127.0.0.1:5");
  vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  auto ignored = resolve_endpoint(Service::kS3, {}, env_of(vars), "eu-west-1");
  EXPECT_EQ(ignored->url, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(ignored->custom);
}

TEST(AwsEndpoints, ProfileEndpointUrlAfterTheVariables) {
  TempDir dir;
  std::ofstream(dir.path() + "/config") << "[default]\nendpoint_url = http://localhost:9\n";
  auto e = resolve_endpoint(Service::kS3, {}, env_of({{"AWS_CONFIG_FILE", dir.path() + "/config"}}),
                            "us-east-1");
  EXPECT_EQ(e->url, "http://localhost:9");
}

TEST(AwsEndpoints, MalformedEndpointNamesItsOrigin) {
  auto bad = resolve_endpoint(Service::kS3, {}, env_of({{"AWS_ENDPOINT_URL_S3", "localhost:9000"}}),
                              "us-east-1");
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("AWS_ENDPOINT_URL_S3"), std::string::npos);
  EXPECT_FALSE(resolve_endpoint(Service::kS3, {}, env_of({{"AWS_ENDPOINT_URL", "http://h:1/path"}}),
                                "us-east-1"));
}

TEST(AwsS3Addressing, VirtualHostedOnAwsPathStyleForCustomEndpointsAndOddNames) {
  ClientConfig aws;
  aws.service = Service::kS3;
  aws.endpoint = {"https://s3.eu-west-1.amazonaws.com", false};
  EXPECT_FALSE(use_path_style(aws, "my-bucket"));
  EXPECT_TRUE(use_path_style(aws, "my.dotted.bucket"));  // the wildcard certificate
  EXPECT_TRUE(use_path_style(aws, "My_Bucket"));
  aws.s3_path_style = true;
  EXPECT_TRUE(use_path_style(aws, "my-bucket"));
  ClientConfig local = aws;
  local.s3_path_style.reset();
  local.endpoint = {"http://127.0.0.1:9000", true};
  EXPECT_TRUE(use_path_style(local, "my-bucket"));
  local.s3_path_style = false;
  EXPECT_FALSE(use_path_style(local, "my-bucket"));
  EXPECT_TRUE(use_path_style(local, "Not_DNS"));  // never virtual for a non-DNS name

  EXPECT_TRUE(dns_compatible_bucket("abc"));
  EXPECT_FALSE(dns_compatible_bucket("ab"));
  EXPECT_FALSE(dns_compatible_bucket("-abc"));
  EXPECT_FALSE(dns_compatible_bucket("a..b"));
  EXPECT_FALSE(dns_compatible_bucket("192.168.1.1"));
}

TEST(AwsClientConfig, ResolvesEverythingFromOptionsAndEnvironment) {
  TempDir dir;
  std::ofstream(dir.path() + "/config") << "[default]\ns3 =\n  addressing_style = virtual\n";
  AwsOptions options;
  options.access_key_id = "AKID";
  options.secret_access_key = "SECRET";
  options.s3_timeout = std::chrono::milliseconds(1234);
  auto s3 = resolve_client_config(
      Service::kS3, options,
      env_of({{"AWS_REGION", "eu-west-3"}, {"AWS_CONFIG_FILE", dir.path() + "/config"}}));
  ASSERT_TRUE(s3) << s3.status().to_string();
  EXPECT_EQ(s3->region, "eu-west-3");
  EXPECT_EQ(s3->endpoint.url, "https://s3.eu-west-3.amazonaws.com");
  ASSERT_TRUE(s3->s3_path_style);
  EXPECT_FALSE(*s3->s3_path_style);
  EXPECT_EQ(s3->transport.timeout.count(), 1234);
  EXPECT_EQ(s3->credentials->get()->keys.access_key_id, "AKID");
  options.secret_access_key.clear();
  EXPECT_FALSE(resolve_client_config(Service::kS3, options, env_of({{"AWS_REGION", "eu-west-3"}})));
}

}  // namespace
}  // namespace cachedata::aws
