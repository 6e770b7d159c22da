// A client nobody here wrote reads what cachedata wrote: the library writes a small entry (body
// inline in its item) and a large one (body in S3) to a table and bucket of the test's own on
// DynamoDB Local + s3rver, then tests/interop/read_with_boto3.py reads both back with Debian's
// python3-boto3 and checks them against docs/FORMAT.md, "Shared store": id_hash as cachedata
// reports it, expires and purge_ts as epoch seconds (purge_ts = expires + purge window), head as
// B, and the S3 layout cache/<id_hash> with the item's body_size and body_sha256. Without the
// servers, python3 or boto3 it skips, and fails under CI=true (aws_test_servers.hpp).
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

#include "cachedata/cache.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_stack.hpp"
#include "support/cli_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

using std::chrono::seconds;

constexpr int kTtl = 600;
constexpr int kPurgeWindow = 2 * 3600;  // not the default, so the script checks the sum

int64_t unix_now() {
  return std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Skips the test, or fails it under CI=true, where every test dependency must be there.
#define CACHEDATA_SKIP_OR_FAIL_UNLESS(condition, message)               \
  if (!(condition)) {                                                   \
    if (aws_test_servers_required()) FAIL() << message << " (CI=true)"; \
    GTEST_SKIP() << message;                                            \
  }

TEST(AwsBoto3Interop, Boto3ReadsTheItemsAndTheS3ObjectCachedataWrote) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, dynamodb_endpoint);
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, s3_endpoint);
  const std::string python = CACHEDATA_PYTHON3;
  CACHEDATA_SKIP_OR_FAIL_UNLESS(!python.empty() && !python.ends_with("NOTFOUND"),
                                "python3 was not found when the build was configured "
                                "(scripts/install-deps.sh installs it with python3-boto3)");
  TempDir home;  // HOME of the child processes: no shared AWS files of the user's
  AwsTestStack stack(dynamodb_endpoint, s3_endpoint);
  Status created = stack.create();
  ASSERT_TRUE(created) << created.to_string();

  Config config = stack.config();
  config.keys = {DataKey::generate()};
  config.purge_window = seconds(kPurgeWindow);
  config.log_level = LogLevel::kOff;
  auto cache = Cache::open(config);
  ASSERT_TRUE(cache) << cache.status().to_string();
  Profile profile;
  profile.ttl = seconds(kTtl);
  const Request small = Request::get("https://api.example.com/interop/small");
  const Request large = Request::get("https://api.example.com/interop/large");
  // Random bytes: zstd cannot shrink them under the 10 KB inline limit.
  std::string large_body(64 * 1024, '\0');
  std::mt19937 random(42);
  for (char& c : large_body) c = static_cast<char>(random() & 0xff);
  CountingFetcher origin;
  origin.respond = [&](const Request& r, const Validators&) {
    return ok_response(r.uri == large.uri ? large_body : std::string("a small answer"),
                       {{"Content-Type", "application/octet-stream"}});
  };

  const int64_t written_after = unix_now();
  ASSERT_EQ((*cache)->get(profile, small, origin.fetcher()).source(), DataSource::kOriginal);
  ASSERT_EQ((*cache)->get(profile, large, origin.fetcher()).source(), DataSource::kOriginal);
  const int64_t written_before = unix_now();
  const std::string small_id = (*cache)->id_of(profile, small).value();
  const std::string large_id = (*cache)->id_of(profile, large).value();

  const std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", kTestAccessKeyId},
                                                  {"AWS_SECRET_ACCESS_KEY", kTestSecretAccessKey},
                                                  {"AWS_EC2_METADATA_DISABLED", "true"},
                                                  {"NO_PROXY", "127.0.0.1"},
                                                  {"no_proxy", "127.0.0.1"}};
  // `cachedata inspect` lists both entries by the first 12 characters of those ids.
  ProcessRun inspect = run_cachedata({"inspect", "--store", stack.store_uri()}, home.path(), env);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.describe();
  EXPECT_NE(inspect.out.find("\n" + small_id.substr(0, 12) + " "), std::string::npos)
      << inspect.out;
  EXPECT_NE(inspect.out.find("\n" + large_id.substr(0, 12) + " "), std::string::npos)
      << inspect.out;

  ProcessRun boto3 = run_program(python,
                                 {CACHEDATA_BOTO3_SCRIPT,
                                  "--dynamodb-endpoint",
                                  dynamodb_endpoint,
                                  "--s3-endpoint",
                                  s3_endpoint,
                                  "--table",
                                  stack.table(),
                                  "--bucket",
                                  stack.bucket(),
                                  "--small-id",
                                  small_id,
                                  "--large-id",
                                  large_id,
                                  "--ttl",
                                  std::to_string(kTtl),
                                  "--purge-window",
                                  std::to_string(kPurgeWindow),
                                  "--written-after",
                                  std::to_string(written_after),
                                  "--written-before",
                                  std::to_string(written_before)},
                                 home.path(), env, seconds(120));
  CACHEDATA_SKIP_OR_FAIL_UNLESS(boto3.exit_code != 77, boto3.out);
  ASSERT_EQ(boto3.exit_code, 0) << boto3.describe();
  EXPECT_NE(boto3.out.find("\nall checks passed\n"), std::string::npos) << boto3.describe();
}

}  // namespace
}  // namespace cachedata::testing
