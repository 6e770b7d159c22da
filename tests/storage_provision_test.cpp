// `cachedata storage provision` end to end against DynamoDB Local and s3rver (started by
// scripts/test-servers.sh): it creates the table and bucket with the template's settings (read
// back here with the clients), a second run changes nothing and says so, settings the endpoint
// refuses or does not keep are reported, a drifted setting is put back ("updated"), the
// samconfig file's parameters are the defaults, and `cachedata get --store aws:…` works on the
// result (a miss, a hit from a new process, a large answer through S3). Rule violations are usage
// errors (exit 2) before any call.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "cachedata/data_key.hpp"
#include "support/origin_process.hpp"
#include "support/storage_stack_fixture.hpp"

namespace cachedata::testing {
namespace {

class StorageProvision : public StorageStack {};

TEST_F(StorageProvision, CreatesTheTableAndBucketWithTheTemplatesSettings) {
  ProcessRun r = storage("provision");
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(line_starting(r.out, "table " + table_ + ":").rfind("table " + table_ + ": created", 0),
            0u)
      << r.out;
  EXPECT_NE(line_starting(r.out, "bucket " + bucket_ + ":").find(": created"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("account id 000000000000: a placeholder"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nprovisioned\n"), std::string::npos) << r.out;

  auto table = dynamodb().describe_table(table_);
  ASSERT_TRUE(table.is_ok()) << table.status().to_string();
  EXPECT_EQ(table->status, "ACTIVE");
  const aws::Json& d = table->description;
  ASSERT_EQ(d["KeySchema"].size(), 1u) << d.dump();
  EXPECT_EQ(d["KeySchema"][0]["AttributeName"], "id_hash");
  EXPECT_EQ(d["KeySchema"][0]["KeyType"], "HASH");
  EXPECT_EQ(d["AttributeDefinitions"][0]["AttributeType"], "S");
  EXPECT_EQ(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST") << d.dump();
  auto ttl = dynamodb().describe_time_to_live(table_);
  ASSERT_TRUE(ttl.is_ok()) << ttl.status().to_string();
  EXPECT_EQ(ttl->attribute, "purge_ts");
  EXPECT_EQ(ttl->status, "ENABLED");

  EXPECT_TRUE(s3().head_bucket(bucket_).is_ok());
  auto rules = s3().get_bucket_lifecycle(bucket_);
  ASSERT_TRUE(rules.is_ok()) << rules.status().to_string();
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].id, "PurgeCachedObjects");
  EXPECT_EQ((*rules)[0].prefix, "cache/");
  EXPECT_TRUE((*rules)[0].enabled);
  EXPECT_EQ((*rules)[0].expiration_days, 15);
  EXPECT_EQ((*rules)[0].abort_multipart_after_days, 1);
  const std::string bucket_part = r.out.substr(r.out.find("\nbucket " + bucket_));
  EXPECT_NE(line_starting(bucket_part, "  encryption:").find("set: AES256"), std::string::npos)
      << r.out;
}

TEST_F(StorageProvision, SecondRunChangesNothingAndSaysSo) {
  ProcessRun first = storage("provision");
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  ProcessRun second = storage("provision");
  ASSERT_EQ(second.exit_code, 0) << second.describe();
  EXPECT_NE(line_starting(second.out, "table " + table_ + ":").find(": exists, matches"),
            std::string::npos)
      << second.out;
  EXPECT_NE(line_starting(second.out, "bucket " + bucket_ + ":").find(": exists, matches"),
            std::string::npos)
      << second.out;
  EXPECT_EQ(second.out.find("set:"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("\nnothing to change\n"), std::string::npos) << second.out;
}

// s3rver answers NotImplemented to PutPublicAccessBlock: reported, not dropped, and on a custom
// endpoint not a failure; so are the table settings DynamoDB Local does not report.
TEST_F(StorageProvision, SettingsTheEndpointRefusedAreReported) {
  ProcessRun r = storage("provision");
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const std::string pab = line_starting(r.out, "  public access block:");
  EXPECT_NE(pab.find("refused by this endpoint"), std::string::npos) << r.out;
  EXPECT_NE(pab.find("NotImplemented"), std::string::npos) << r.out;
  EXPECT_NE(line_starting(r.out, "bucket " + bucket_ + ":")
                .find("not kept or not reported by this endpoint: public access block"),
            std::string::npos)
      << r.out;
  // DynamoDB Local takes SSESpecification but never reports it, and lacks continuous backups.
  EXPECT_NE(line_starting(r.out, "  encryption:").find("not reported by this endpoint"),
            std::string::npos)
      << r.out;
  EXPECT_NE(line_starting(r.out, "  point-in-time recovery:").find("not reported by this endpoint"),
            std::string::npos)
      << r.out;
}

TEST_F(StorageProvision, DriftedSettingsArePutBackAndReportedAsUpdated) {
  ASSERT_EQ(storage("provision").exit_code, 0);
  aws::LifecycleRule other;
  other.id = "Logs";
  other.prefix = "logs/";
  other.expiration_days = 90;
  aws::LifecycleRule drifted = other;
  drifted.id = "PurgeCachedObjects";
  drifted.prefix = "cache/";
  drifted.expiration_days = 30;
  ASSERT_TRUE(s3().put_bucket_lifecycle(bucket_, {other, drifted}).is_ok());
  ASSERT_TRUE(dynamodb().update_time_to_live(table_, "purge_ts", false).is_ok());

  ProcessRun r = storage("provision");
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(line_starting(r.out, "table " + table_ + ":").find(": updated (TTL)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(line_starting(r.out, "bucket " + bucket_ + ":").find(": updated (lifecycle rule)"),
            std::string::npos)
      << r.out;
  auto rules = s3().get_bucket_lifecycle(bucket_);
  ASSERT_TRUE(rules.is_ok());
  ASSERT_EQ(rules->size(), 2u);  // the other rule is kept
  EXPECT_EQ((*rules)[0].id, "Logs");
  EXPECT_EQ((*rules)[1].expiration_days, 15);
  auto ttl = dynamodb().describe_time_to_live(table_);
  ASSERT_TRUE(ttl.is_ok());
  EXPECT_EQ(ttl->status, "ENABLED");
}

TEST_F(StorageProvision, TakesTheSamconfigFilesParametersAsDefaults) {
  ProcessRun config = run_cachedata({"storage", "config", prefix_, "--dir", dir_.path(), "--param",
                                     "CacheDataPurgeAgeOfCachedBucketObjInDays=7", "--param",
                                     "S3BucketNameOrgPrefix=example-org"},
                                    dir_.path());
  ASSERT_EQ(config.exit_code, 0) << config.describe();
  bucket_ = "example-org-" + bucket_;
  ProcessRun r = storage("provision");
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("defaults from "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bucket " + bucket_ + ": created"), std::string::npos) << r.out;
  auto rules = s3().get_bucket_lifecycle(bucket_);
  ASSERT_TRUE(rules.is_ok()) << rules.status().to_string();
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].expiration_days, 7);

  // --param wins over the file.
  ProcessRun again =
      storage("provision", {"--param", "CacheDataPurgeAgeOfCachedBucketObjInDays=9"});
  ASSERT_EQ(again.exit_code, 0) << again.describe();
  rules = s3().get_bucket_lifecycle(bucket_);
  ASSERT_TRUE(rules.is_ok());
  EXPECT_EQ((*rules)[0].expiration_days, 9);
}

// The cache itself on the result: `cachedata get --store aws:…` on the provisioned table and
// bucket, one process per call. A miss reaches the origin once and a new process answers from
// the table; an answer over the inline limit (a POST of random letters to the origin's /echo,
// which zstd cannot shrink under 10 KB) goes to the bucket under cache/, where the lifecycle rule
// applies, and comes back byte for byte.
TEST_F(StorageProvision, TheCacheWorksOnTheResult) {
  ASSERT_EQ(storage("provision").exit_code, 0);
  OriginProcess origin = OriginProcess::start({"--default-delay-ms", "0"});
  std::map<std::string, std::string> env = credentials();
  env["CACHE_DATA_SECURE_DATA_KEY"] = DataKey::generate().to_hex();
  const std::string store = "aws:table=" + table_ + ",bucket=" + bucket_ +
                            ",region=us-east-1,dynamodb-endpoint=" + dynamodb_endpoint_ +
                            ",s3-endpoint=" + s3_endpoint_;
  auto get = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "get");
    for (const char* arg : {"--store", store.c_str(), "-v"}) args.emplace_back(arg);
    return run_cachedata(args, dir_.path(), env);
  };

  const std::string small = origin.url("/resource/provisioned");
  ProcessRun miss = get({small});
  ASSERT_EQ(miss.exit_code, 0) << miss.describe();
  EXPECT_EQ(line_starting(miss.err, "status: "), "status: original") << miss.describe();
  ProcessRun hit = get({small});
  ASSERT_EQ(hit.exit_code, 0) << hit.describe();
  EXPECT_EQ(line_starting(hit.err, "status: "), "status: cache") << hit.describe();
  EXPECT_EQ(hit.out, miss.out);
  EXPECT_EQ(origin.hits("/resource/provisioned"), 1);

  std::string letters(60'000, 'a');
  std::mt19937 random(7);
  for (char& c : letters) c = static_cast<char>('a' + random() % 26);
  // Octet-stream: the origin's HTTP library refuses form bodies over 8 KB.
  const std::vector<std::string> large = {origin.url("/echo"),
                                          "-X",
                                          "POST",
                                          "-H",
                                          "Content-Type: application/octet-stream",
                                          "-d",
                                          letters};
  ProcessRun large_miss = get(large);
  ASSERT_EQ(large_miss.exit_code, 0) << large_miss.describe();
  ASSERT_EQ(line_starting(large_miss.err, "http-status: "), "http-status: 200")
      << large_miss.describe();
  ProcessRun large_hit = get(large);
  ASSERT_EQ(large_hit.exit_code, 0) << large_hit.describe();
  EXPECT_EQ(line_starting(large_hit.err, "status: "), "status: cache") << large_hit.describe();
  EXPECT_TRUE(large_hit.out == large_miss.out) << "the large answer did not come back intact";
  EXPECT_NE(large_miss.out.find(letters), std::string::npos);
  EXPECT_EQ(origin.hits("/echo"), 1);

  // Two items in the table, one of them pointing at its body under cache/ in the bucket.
  auto scanned = dynamodb().call("Scan", {{"TableName", table_}, {"ConsistentRead", true}});
  ASSERT_TRUE(scanned.is_ok()) << scanned.status().to_string();
  ASSERT_EQ((*scanned)["Items"].size(), 2u) << scanned->dump();
  int in_s3 = 0;
  for (const aws::Json& item : (*scanned)["Items"]) {
    auto s3_key = aws::attr::get_s(item, "s3_key");
    if (!s3_key) continue;
    ++in_s3;
    EXPECT_EQ(*s3_key, "cache/" + aws::attr::get_s(item, "id_hash").value_or("?"));
    auto object = s3().head_object(bucket_, *s3_key);
    ASSERT_TRUE(object.is_ok()) << object.status().to_string();
    EXPECT_EQ(aws::attr::get_n(item, "body_size"), static_cast<int64_t>(object->size));
  }
  EXPECT_EQ(in_s3, 1);
}

TEST_F(StorageProvision, BrokenRulesAreUsageErrors) {
  ProcessRun purge =
      storage("provision", {"--param", "CacheDataPurgeAgeOfCachedBucketObjInDays=2"});
  EXPECT_EQ(purge.exit_code, 2) << purge.describe();
  EXPECT_NE(purge.err.find("3 or more"), std::string::npos) << purge.err;

  ProcessRun unknown = storage("provision", {"--param", "Nope=1"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.describe();
  EXPECT_NE(unknown.err.find("not a parameter of the storage template"), std::string::npos);

  ProcessRun long_name =
      storage("provision", {"--param", "S3BucketNameOrgPrefix=an-org-prefix-of-20c", "--project-id",
                            "a-project-id-of-twenty"});
  EXPECT_EQ(long_name.exit_code, 2) << long_name.describe();
  EXPECT_NE(long_name.err.find("over S3's limit of 63"), std::string::npos) << long_name.err;
  EXPECT_FALSE(dynamodb().describe_table(table_).is_ok());
}

// On AWS (no endpoint given) the bucket name needs the real account id: refused before any call.
TEST(StorageProvisionOnAws, WithoutAccountIdIsAUsageError) {
  TempDir dir;
  ProcessRun r = run_cachedata(
      {"storage", "provision", "acme", "--region", "us-east-2", "--dir", dir.path()}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("--account-id"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cachedata::testing
