// `cachedata get --store aws:table=…,bucket=…,region=…,dynamodb-endpoint=…,s3-endpoint=…` end to
// end: the real binary, one process per call, on a table and bucket of the test's own on
// DynamoDB Local + s3rver, in front of the local origin (tools/origin). A miss reaches the origin
// once and a new process then answers from the shared store; a body over the inline limit goes
// to S3 and comes back byte for byte. Credentials and the data key come the way an operator
// gives them: AWS_* variables and a key file. Skips (fails under CI=true) without the servers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

#include "base/hex.hpp"
#include "crypto/sha256.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_stack.hpp"
#include "support/cli_process.hpp"
#include "support/origin_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

namespace attr = aws::attr;

// The value of the "name: value" line that `cachedata get -v` writes to stderr, or "".
std::string field(const ProcessRun& run, const std::string& name) {
  const std::string start = name + ": ";
  size_t at = run.err.rfind(start, 0) == 0 ? 0 : run.err.find("\n" + start);
  if (at == std::string::npos) return "";
  if (at != 0) ++at;
  at += start.size();
  return run.err.substr(at, run.err.find('\n', at) - at);
}

class AwsStoreCli : public ::testing::Test {
 protected:
  void SetUp() override {
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, dynamodb_endpoint);
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, s3_endpoint);
    stack_ = std::make_unique<AwsTestStack>(dynamodb_endpoint, s3_endpoint);
    Status created = stack_->create();
    ASSERT_TRUE(created) << created.to_string();
    key_file_ = dir_.path() + "/data.key";
    write_file(key_file_, DataKey::generate().to_hex() + "\n", 0600);
    origin_ = OriginProcess::start({"--default-delay-ms", "0"});
  }

  // `cachedata get URL --store aws:… --key-file … -v` plus `extra`, in a new process.
  ProcessRun get(const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"get",        url,       "--store", stack_->store_uri(),
                                     "--key-file", key_file_, "-v"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cachedata(args, dir_.path(),
                         {{"AWS_ACCESS_KEY_ID", kTestAccessKeyId},
                          {"AWS_SECRET_ACCESS_KEY", kTestSecretAccessKey},
                          {"NO_PROXY", "127.0.0.1"},
                          {"no_proxy", "127.0.0.1"}});
  }

  // Every item of the test's table.
  std::vector<aws::Json> items() {
    auto scanned =
        stack_->dynamodb().call("Scan", {{"TableName", stack_->table()}, {"ConsistentRead", true}});
    EXPECT_TRUE(scanned) << scanned.status().to_string();
    if (!scanned) return {};
    return (*scanned)["Items"].get<std::vector<aws::Json>>();
  }

  TempDir dir_;
  std::unique_ptr<AwsTestStack> stack_;
  std::string key_file_;
  OriginProcess origin_;
};

TEST_F(AwsStoreCli, MissReachesTheOriginOnceThenANewProcessHitsTheSharedStore) {
  const std::string url = origin_.url("/resource/shared?marker=CLIMARKER");
  ProcessRun miss = get(url);
  ASSERT_EQ(miss.exit_code, 0) << miss.describe();
  EXPECT_EQ(field(miss, "status"), "original") << miss.describe();
  EXPECT_NE(miss.out.find("CLIMARKER"), std::string::npos) << miss.out;
  EXPECT_EQ(origin_.hits("/resource/shared"), 1);

  ProcessRun hit = get(url);
  ASSERT_EQ(hit.exit_code, 0) << hit.describe();
  EXPECT_EQ(field(hit, "status"), "cache") << hit.describe();  // not cache:memory: a new process
  EXPECT_EQ(hit.out, miss.out);
  EXPECT_EQ(field(hit, "expires"), field(miss, "expires"));
  EXPECT_EQ(origin_.hits("/resource/shared"), 1);

  // One item, body inline (a small answer), no S3 object.
  std::vector<aws::Json> stored = items();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(attr::get_b(stored[0], "body").has_value()) << stored[0].dump();
  EXPECT_FALSE(attr::get_s(stored[0], "s3_key").has_value()) << stored[0].dump();
}

// The origin's /echo answers with what it was sent: a POST of 60,000 random letters and digits
// makes an answer that zstd cannot shrink to the default 10 KB inline limit. (Sent as
// octet-stream: the origin's HTTP library refuses form bodies over 8 KB.)
TEST_F(AwsStoreCli, LargeBodyRoundTripsThroughS3ByteForByte) {
  std::mt19937 random(20261126);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string sent(60'000, ' ');
  for (char& c : sent) c = alphabet[random() % alphabet.size()];
  const std::string url = origin_.url("/echo");

  const std::vector<std::string> post = {
      "-X", "POST", "-H", "Content-Type: application/octet-stream", "-d", sent};
  ProcessRun miss = get(url, post);
  ASSERT_EQ(miss.exit_code, 0) << miss.describe();
  EXPECT_EQ(field(miss, "status"), "original") << miss.describe();
  ASSERT_EQ(field(miss, "http-status"), "200") << miss.describe();
  auto echoed = nlohmann::json::parse(miss.out, nullptr, false);
  ASSERT_TRUE(echoed.is_object()) << miss.out.substr(0, 500);
  EXPECT_EQ(echoed["body"], sent);

  ProcessRun hit = get(url, post);
  ASSERT_EQ(hit.exit_code, 0) << hit.describe();
  EXPECT_EQ(field(hit, "status"), "cache") << hit.describe();
  EXPECT_EQ(hit.out.size(), miss.out.size());
  EXPECT_TRUE(hit.out == miss.out) << "the body read back from S3 differs from the one stored";
  EXPECT_EQ(origin_.hits("/echo"), 1);

  // The item points at cache/<id_hash>, an object over the inline limit whose size and SHA-256
  // are the item's.
  std::vector<aws::Json> stored = items();
  ASSERT_EQ(stored.size(), 1u);
  const aws::Json& item = stored[0];
  EXPECT_FALSE(attr::get_b(item, "body").has_value()) << item.dump();
  const std::string id = attr::get_s(item, "id_hash").value_or("");
  ASSERT_EQ(attr::get_s(item, "s3_key"), "cache/" + id) << item.dump();
  auto object = stack_->s3().get_object(stack_->bucket(), "cache/" + id);
  ASSERT_TRUE(object) << object.status().to_string();
  EXPECT_GT(object->body.size(), 10'000u);
  EXPECT_EQ(attr::get_n(item, "body_size"), static_cast<int64_t>(object->body.size()));
  EXPECT_EQ(attr::get_s(item, "body_sha256"), base::to_hex(crypto::sha256(object->body)));
}

}  // namespace
}  // namespace cachedata::testing
