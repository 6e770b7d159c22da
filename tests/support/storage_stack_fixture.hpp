// The fixture of the `storage provision` / `storage status` tests: a prefix unique to the test
// (DynamoDB Local and s3rver are shared by every test of the run), the cachedata binary run
// against the local servers with test credentials, and clients to read back what it did. Skips
// (fails under CI=true) when the servers' variables are unset; see aws_test_servers.hpp.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "aws/dynamodb_client.hpp"
#include "aws/s3_client.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_stack.hpp"
#include "support/aws_test_support.hpp"
#include "support/cli_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {

class StorageStack : public ::testing::Test {
 protected:
  void SetUp() override {
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, dynamodb_url);
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, s3_url);
    dynamodb_endpoint_ = dynamodb_url;
    s3_endpoint_ = s3_url;
    // Prefix: ^[a-z][a-z0-9-]{0,6}[a-z0-9]$, unique per process and test.
    static int counter = 0;
    prefix_ =
        "t" + base36(static_cast<unsigned>(::getpid()) * 64u + static_cast<unsigned>(++counter));
    prefix_ = prefix_.substr(0, 8);
    table_ = prefix_ + "-cache-data-CacheData";
    bucket_ = prefix_ + "-cache-data-000000000000-us-east-1";
  }

  // Best effort: the servers are shared by the whole run.
  void TearDown() override {
    if (prefix_.empty()) return;
    remove_test_table_and_bucket(dynamodb(), s3(), table_, bucket_);
  }

  static std::string base36(unsigned n) {
    std::string s;
    do {
      s.insert(s.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]);
      n /= 36;
    } while (n != 0);
    return s;
  }

  // `cachedata storage <command> PREFIX --endpoint-dynamodb … --endpoint-s3 … <extra>`
  ProcessRun storage(const std::string& command, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "storage",          command,         prefix_,      "--endpoint-dynamodb",
        dynamodb_endpoint_, "--endpoint-s3", s3_endpoint_, "--dir",
        dir_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cachedata(args, dir_.path(), credentials(), std::chrono::seconds(120));
  }

  // DynamoDB Local wants an access key id of letters and digits.
  static std::map<std::string, std::string> credentials() {
    return {{"AWS_ACCESS_KEY_ID", kTestAccessKeyId},
            {"AWS_SECRET_ACCESS_KEY", kTestSecretAccessKey}};
  }

  aws::DynamoDbClient dynamodb() const {
    return aws::DynamoDbClient(local_config(aws::Service::kDynamoDb, dynamodb_endpoint_));
  }
  aws::S3Client s3() const { return aws::S3Client(local_config(aws::Service::kS3, s3_endpoint_)); }

  TempDir dir_;
  std::string dynamodb_endpoint_;
  std::string s3_endpoint_;
  std::string prefix_;
  std::string table_;
  std::string bucket_;
};

// The line of `out` that starts with `start`, or "" (for messages and exact checks).
inline std::string line_starting(const std::string& out, const std::string& start) {
  size_t at = out.find("\n" + start);
  if (out.rfind(start, 0) == 0) {
    at = 0;
  } else if (at == std::string::npos) {
    return "";
  } else {
    ++at;
  }
  return out.substr(at, out.find('\n', at) - at);
}

}  // namespace cachedata::testing
