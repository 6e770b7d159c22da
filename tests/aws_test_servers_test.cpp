// The AWS protocol test servers that scripts/test.sh starts (DynamoDB Local, s3rver) answer as
// the integration tests expect, checked with bare libcurl requests (no cachedata AWS client), so
// that a server that did not start, or started wrong, fails here loudly and by name rather than
// somewhere inside a store test. Also: how the test-support lookup reads the environment, and
// that CACHEDATA_REQUIRE_AWS_TEST_SERVER (the one way every test asks for a server) skips without
// one, but fails under CI=true.
//
// Neither server checks signatures; both want an Authorization header of SigV4's shape, and
// DynamoDB Local wants an access key id of letters and digits only.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "support/aws_test_servers.hpp"
#include "support/origin_process.hpp"

namespace cachedata::testing {
namespace {

// Sets (or unsets, for nullopt) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value->c_str(), 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// X-Amz-Date and an Authorization header of SigV4's shape, with a dummy signature.
std::vector<std::string> dummy_sigv4_headers(const std::string& service,
                                             const std::string& signed_headers) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char day[16];
  char stamp[32];
  std::strftime(day, sizeof day, "%Y%m%d", &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return {std::string("X-Amz-Date: ") + stamp,
          "Authorization: AWS4-HMAC-SHA256 Credential=AKIDCACHEDATATEST/" + std::string(day) +
              "/us-east-1/" + service + "/aws4_request, SignedHeaders=" + signed_headers +
              ", Signature=" + std::string(64, '0')};
}

TEST(AwsTestServersTest, DynamoDbLocalListsTables) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, endpoint);
  std::vector<std::string> headers =
      dummy_sigv4_headers("dynamodb", "content-type;host;x-amz-date;x-amz-target");
  headers.push_back("Content-Type: application/x-amz-json-1.0");
  headers.push_back("X-Amz-Target: DynamoDB_20120810.ListTables");
  HttpReply r = http_request("POST", endpoint + "/", headers, std::chrono::seconds(30), "{}");
  ASSERT_EQ(r.status, 200) << "POST " << endpoint << "/ ListTables: " << r.error << r.body;
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_TRUE(body.contains("TableNames") && body["TableNames"].is_array()) << r.body;
}

TEST(AwsTestServersTest, DynamoDbLocalRejectsAnUnsignedRequest) {
  // Proves the endpoint is DynamoDB (it wants credentials), not any server answering 200.
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, endpoint);
  HttpReply r = http_request(
      "POST", endpoint + "/",
      {"Content-Type: application/x-amz-json-1.0", "X-Amz-Target: DynamoDB_20120810.ListTables"},
      std::chrono::seconds(30), "{}");
  EXPECT_EQ(r.status, 400) << r.error << r.body;
  EXPECT_NE(r.body.find("MissingAuthenticationToken"), std::string::npos) << r.body;
}

TEST(AwsTestServersTest, S3rverListsBuckets) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, endpoint);
  std::vector<std::string> headers =
      dummy_sigv4_headers("s3", "host;x-amz-content-sha256;x-amz-date");
  headers.push_back(
      "X-Amz-Content-Sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  HttpReply r = http_request("GET", endpoint + "/", headers);
  ASSERT_EQ(r.status, 200) << "GET " << endpoint << "/: " << r.error << r.body;
  EXPECT_NE(r.body.find("<ListAllMyBucketsResult"), std::string::npos) << r.body;
  EXPECT_NE(r.header("content-type").find("xml"), std::string::npos) << r.header("content-type");
}

// ---- the lookup itself --------------------------------------------------------------------------

TEST(AwsTestServersLookupTest, UnsetVariableIsAProblemThatSaysHowToStartTheServers) {
  ScopedEnv unset("CACHEDATA_TEST_S3_ENDPOINT", std::nullopt);
  AwsTestServerLookup l = find_aws_test_server(AwsTestServer::kS3);
  EXPECT_TRUE(l.endpoint.empty());
  EXPECT_NE(l.problem.find("CACHEDATA_TEST_S3_ENDPOINT is not set"), std::string::npos)
      << l.problem;
  EXPECT_NE(l.problem.find("scripts/test-servers.sh start"), std::string::npos) << l.problem;
}

TEST(AwsTestServersLookupTest, MalformedEndpointIsAProblemNotUsed) {
  for (const char* bad : {"127.0.0.1:8000", "https://127.0.0.1:8000", "http://127.0.0.1",
                          "http://127.0.0.1:80/path", "http://:8000", "http://127.0.0.1:x"}) {
    ScopedEnv set("CACHEDATA_TEST_DYNAMODB_ENDPOINT", bad);
    AwsTestServerLookup l = find_aws_test_server(AwsTestServer::kDynamoDb);
    EXPECT_TRUE(l.endpoint.empty()) << bad;
    EXPECT_NE(l.problem.find("is not an endpoint"), std::string::npos) << bad << ": " << l.problem;
  }
}

TEST(AwsTestServersLookupTest, TrailingSlashIsDropped) {
  ScopedEnv set("CACHEDATA_TEST_DYNAMODB_ENDPOINT", "http://127.0.0.1:4567/");
  AwsTestServerLookup l = find_aws_test_server(AwsTestServer::kDynamoDb);
  EXPECT_EQ(l.endpoint, "http://127.0.0.1:4567");
  EXPECT_TRUE(l.problem.empty()) << l.problem;
}

TEST(AwsTestServersLookupTest, MissingServersFailOnlyUnderCiTrue) {
  {
    ScopedEnv ci("CI", "true");
    EXPECT_TRUE(aws_test_servers_required());
  }
  {
    ScopedEnv ci("CI", "TRUE");
    EXPECT_TRUE(aws_test_servers_required());
  }
  {
    ScopedEnv ci("CI", "false");
    EXPECT_FALSE(aws_test_servers_required());
  }
  {
    ScopedEnv ci("CI", std::nullopt);
    EXPECT_FALSE(aws_test_servers_required());
  }
}

// ---- the macro every test uses -----------------------------------------------------------------

// What CACHEDATA_REQUIRE_AWS_TEST_SERVER reports, caught before it reaches the running test.
void require_s3_outcome(::testing::TestPartResultArray& results) {
  ::testing::ScopedFakeTestPartResultReporter reporter(
      ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
  [] {
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, endpoint);
    ADD_FAILURE() << "went on without a server, with endpoint '" << endpoint << "'";
  }();
}

TEST(AwsTestServersMacroTest, MissingServerSkipsTheTest) {
  ScopedEnv ci("CI", std::nullopt);
  ScopedEnv unset("CACHEDATA_TEST_S3_ENDPOINT", std::nullopt);
  ::testing::TestPartResultArray results;
  require_s3_outcome(results);
  ASSERT_EQ(results.size(), 1);
  EXPECT_TRUE(results.GetTestPartResult(0).skipped());
  EXPECT_NE(std::string(results.GetTestPartResult(0).message()).find("s3rver is not available"),
            std::string::npos)
      << results.GetTestPartResult(0).message();
}

TEST(AwsTestServersMacroTest, MissingServerFailsTheTestUnderCiTrue) {
  ScopedEnv ci("CI", "true");
  ScopedEnv unset("CACHEDATA_TEST_S3_ENDPOINT", std::nullopt);
  ::testing::TestPartResultArray results;
  require_s3_outcome(results);
  ASSERT_EQ(results.size(), 1);
  EXPECT_TRUE(results.GetTestPartResult(0).fatally_failed());
  EXPECT_NE(std::string(results.GetTestPartResult(0).message()).find("CI=true"), std::string::npos)
      << results.GetTestPartResult(0).message();
}

TEST(AwsTestServersMacroTest, PresentServerDeclaresItsEndpoint) {
  ScopedEnv set("CACHEDATA_TEST_S3_ENDPOINT", "http://127.0.0.1:4568/");
  std::string seen;
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    [&seen] {
      CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, endpoint);
      seen = endpoint;
    }();
  }
  EXPECT_EQ(results.size(), 0);
  EXPECT_EQ(seen, "http://127.0.0.1:4568");
}

}  // namespace
}  // namespace cachedata::testing
