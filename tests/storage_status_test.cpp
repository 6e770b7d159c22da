// `cachedata storage status` end to end against DynamoDB Local and s3rver: everything matches
// after `storage provision` (exit 0); a setting changed behind its back is named (exit 1); a
// missing table and bucket are named (exit 1); usage errors exit 2. Status never changes
// anything.
#include <gtest/gtest.h>

#include "support/storage_stack_fixture.hpp"

namespace cachedata::testing {
namespace {

class StorageStatus : public StorageStack {};

TEST_F(StorageStatus, MatchesAfterProvision) {
  ASSERT_EQ(storage("provision").exit_code, 0);
  ProcessRun r = storage("status");
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(line_starting(r.out, "table " + table_ + ":").find(": exists, matches"),
            std::string::npos)
      << r.out;
  EXPECT_NE(line_starting(r.out, "bucket " + bucket_ + ":").find(": exists, matches"),
            std::string::npos)
      << r.out;
  // What it shows: status, key schema, billing mode, TTL; public access block, encryption,
  // lifecycle rules.
  EXPECT_NE(r.out.find("  status:"), std::string::npos) << r.out;
  EXPECT_NE(line_starting(r.out, "  key schema:").find("id_hash (S, HASH)"), std::string::npos);
  EXPECT_NE(line_starting(r.out, "  billing mode:").find("PAY_PER_REQUEST"), std::string::npos);
  EXPECT_NE(line_starting(r.out, "  TTL:").find("matches: purge_ts ENABLED"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  public access block:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  lifecycle rule:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nmatches the template\n"), std::string::npos) << r.out;
}

TEST_F(StorageStatus, TtlDisabledIsADifference) {
  ASSERT_EQ(storage("provision").exit_code, 0);
  ASSERT_TRUE(dynamodb().update_time_to_live(table_, "purge_ts", false).is_ok());
  ProcessRun r = storage("status");
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(line_starting(r.out, "table " + table_ + ":").find("differs (TTL)"), std::string::npos)
      << r.out;
  EXPECT_NE(line_starting(r.out, "  TTL:").find("DIFFERS: is DISABLED, expected purge_ts ENABLED"),
            std::string::npos)
      << r.out;
  // Status changed nothing.
  auto ttl = dynamodb().describe_time_to_live(table_);
  ASSERT_TRUE(ttl.is_ok());
  EXPECT_EQ(ttl->status, "DISABLED");
}

TEST_F(StorageStatus, LifecycleRuleOfAnotherPurgeAgeIsADifference) {
  ASSERT_EQ(storage("provision").exit_code, 0);
  ProcessRun r = storage("status", {"--param", "CacheDataPurgeAgeOfCachedBucketObjInDays=30"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(line_starting(r.out, "  lifecycle rule:").find("expire after 15 days"),
            std::string::npos)
      << r.out;
  EXPECT_NE(line_starting(r.out, "  lifecycle rule:").find("expected on cache/: expire after 30"),
            std::string::npos)
      << r.out;
}

TEST_F(StorageStatus, MissingTableAndBucketAreNamed) {
  ProcessRun r = storage("status");
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(line_starting(r.out, "table " + table_ + ":"), "table " + table_ + ": missing")
      << r.out;
  EXPECT_EQ(line_starting(r.out, "bucket " + bucket_ + ":"), "bucket " + bucket_ + ": missing")
      << r.out;
  EXPECT_NE(r.out.find("storage provision"), std::string::npos) << r.out;
}

TEST_F(StorageStatus, MissingTableAloneIsNamed) {
  ASSERT_EQ(storage("provision").exit_code, 0);
  ASSERT_TRUE(dynamodb().delete_table(table_).is_ok());
  ProcessRun r = storage("status");
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(line_starting(r.out, "table " + table_ + ":"), "table " + table_ + ": missing");
  EXPECT_NE(line_starting(r.out, "bucket " + bucket_ + ":").find("exists, matches"),
            std::string::npos)
      << r.out;
}

TEST_F(StorageStatus, UsageErrorsExit2) {
  ProcessRun bad_prefix = run_cachedata({"storage", "status", "Bad_Prefix", "--endpoint-dynamodb",
                                         dynamodb_endpoint_, "--endpoint-s3", s3_endpoint_},
                                        dir_.path());
  EXPECT_EQ(bad_prefix.exit_code, 2) << bad_prefix.describe();
  EXPECT_NE(bad_prefix.err.find("Prefix \"Bad_Prefix\" breaks the rule"), std::string::npos);

  ProcessRun bad_account = storage("status", {"--account-id", "12345"});
  EXPECT_EQ(bad_account.exit_code, 2) << bad_account.describe();

  ProcessRun unknown_option = storage("status", {"--no-such-option"});
  EXPECT_EQ(unknown_option.exit_code, 2) << unknown_option.describe();
}

}  // namespace
}  // namespace cachedata::testing
