// Where the integration tests find the AWS protocol servers (DynamoDB Local, s3rver) that
// scripts/test-servers.sh starts on 127.0.0.1: the endpoints come from the environment,
//   CACHEDATA_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT
//   CACHEDATA_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
// which scripts/test.sh exports to ctest (and a developer gets with
// `scripts/test-servers.sh start && eval "$(scripts/test-servers.sh exports)"`).
//
// A test that needs a server starts with
//   CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, endpoint);
// which declares `std::string endpoint` and, when the variable is unset or malformed, skips the
// test with a message that says how to start the servers — or fails it when the environment has
// CI=true, where a missing server is a broken setup, not a developer's choice. Usable in a test
// body or in SetUp(). The functions only read the environment: safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

namespace cachedata::testing {

enum class AwsTestServer { kDynamoDb, kS3 };

// "CACHEDATA_TEST_DYNAMODB_ENDPOINT" or "CACHEDATA_TEST_S3_ENDPOINT".
const char* aws_test_server_variable(AwsTestServer server);

// The outcome of looking a server up: `endpoint` when usable, else `problem` says why not.
struct AwsTestServerLookup {
  std::string endpoint;  // "http://127.0.0.1:PORT", no trailing '/'
  std::string problem;   // empty when endpoint is set
};

// Reads the server's variable. A value must be an http:// URL with a host and a port and no
// path (a trailing '/' is dropped); anything else is reported as a problem, not used.
AwsTestServerLookup find_aws_test_server(AwsTestServer server);

// True when the environment has CI=true (any case): missing servers fail instead of skipping.
bool aws_test_servers_required();

}  // namespace cachedata::testing

// Declares `std::string var` holding the server's endpoint, or skips / fails (under CI=true) the
// current test and returns from the enclosing void function.
#define CACHEDATA_REQUIRE_AWS_TEST_SERVER(server, var)                                     \
  std::string var;                                                                         \
  do {                                                                                     \
    auto cachedata_lookup_ = ::cachedata::testing::find_aws_test_server(server);           \
    if (!cachedata_lookup_.problem.empty()) {                                              \
      if (::cachedata::testing::aws_test_servers_required()) {                             \
        GTEST_FAIL() << cachedata_lookup_.problem << " (CI=true: a missing server fails)"; \
      }                                                                                    \
      GTEST_SKIP() << cachedata_lookup_.problem;                                           \
    }                                                                                      \
    var = std::move(cachedata_lookup_.endpoint);                                           \
  } while (false)
