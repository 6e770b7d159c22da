// `cachedata storage config` end to end (the real binary, stdin not a terminal, so no prompts):
// the file it writes against golden files (tests/golden/storage/), a rerun over an existing file,
// and every refusal, each naming the rule that was broken. The interactive form is in
// storage_interactive_test.cpp. Set CACHEDATA_UPDATE_GOLDEN=1 to rewrite the golden files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/cli_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

const std::string kSourceDir = CACHEDATA_SOURCE_DIR;

std::string config_file(const TempDir& dir, const std::string& prefix = "acme",
                        const std::string& project = "cache-data") {
  return dir.path() + "/samconfigs/" + prefix + "/" + project + "/samconfig-" + prefix + "-" +
         project + "-storage.toml";
}

// The file with the checkout's path replaced by @SOURCE_DIR@, so golden files hold no machine's
// path.
std::string portable(std::string text) {
  for (size_t at; (at = text.find(kSourceDir)) != std::string::npos;) {
    text.replace(at, kSourceDir.size(), "@SOURCE_DIR@");
  }
  return text;
}

void expect_golden(const std::string& actual, const std::string& name) {
  const std::string path = kSourceDir + "/tests/golden/storage/" + name;
  if (std::getenv("CACHEDATA_UPDATE_GOLDEN") != nullptr) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    write_file(path, portable(actual));
  }
  EXPECT_EQ(portable(actual), read_file(path)) << "golden file " << path;
}

ProcessRun config(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"storage", "config"});
  args.insert(args.end(), {"--dir", dir.path()});
  return run_cachedata(args, dir.path());
}

TEST(StorageConfig, NonInteractiveRunWritesTheGoldenFile) {
  TempDir dir;
  ProcessRun r =
      config(dir, {"acme", "--param", "S3BucketNameOrgPrefix=example-org", "--param",
                   "CacheDataPurgeAgeOfCachedBucketObjInDays=7", "--tag", "team=platform", "--tag",
                   "cost-center=cache data", "--region", "us-east-2", "--profile", "shared-infra"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("wrote " + config_file(dir)), std::string::npos) << r.out;
  expect_golden(read_file(config_file(dir)), "first-run.toml");
}

TEST(StorageConfig, RerunKeepsTheExistingValuesAsDefaults) {
  TempDir dir;
  ASSERT_EQ(
      config(dir, {"acme", "--param", "S3BucketNameOrgPrefix=example-org", "--param",
                   "CacheDataPurgeAgeOfCachedBucketObjInDays=7", "--tag", "team=platform", "--tag",
                   "cost-center=cache data", "--region", "us-east-2", "--profile", "shared-infra"})
          .exit_code,
      0);
  // A key added by hand survives; the rerun changes one parameter and one tag, adds a tag.
  std::string text = read_file(config_file(dir));
  write_file(config_file(dir), text + "s3_prefix = \"hand-added\"\n");
  ProcessRun r = config(dir, {"acme", "--param", "EnablePointInTimeRecovery=TRUE", "--tag",
                              "team=storage", "--tag", "owner=ops"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("updated "), std::string::npos) << r.out;
  expect_golden(read_file(config_file(dir)), "rerun.toml");
}

TEST(StorageConfig, ProjectIdNamesTheDirectoryAndTheStack) {
  TempDir dir;
  ProcessRun r = config(dir, {"acme", "--project-id", "shared-cache"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const std::string text = read_file(config_file(dir, "acme", "shared-cache"));
  EXPECT_NE(text.find("stack_name = \"acme-shared-cache-storage\""), std::string::npos) << text;
  EXPECT_NE(text.find("ProjectId=\\\"shared-cache\\\""), std::string::npos) << text;
}

// Every refusal exits 2, names the rule and writes nothing.
void expect_refused(const std::vector<std::string>& args, const std::string& rule) {
  TempDir dir;
  ProcessRun r = config(dir, args);
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find(rule), std::string::npos) << r.describe();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/samconfigs")) << r.describe();
}

TEST(StorageConfig, BadPrefixIsRejectedNamingTheRule) {
  expect_refused({"Acme"}, "Prefix \"Acme\" breaks the rule ^[a-z][a-z0-9-]{0,6}[a-z0-9]$");
  expect_refused({"toolongpx"}, "Prefix \"toolongpx\" breaks the rule");
  expect_refused({"acme-"}, "Prefix \"acme-\" breaks the rule");
}

TEST(StorageConfig, BadProjectIdIsRejectedNamingTheRule) {
  expect_refused({"acme", "--project-id", "Cache_Data"},
                 "ProjectId \"Cache_Data\" breaks the rule ^[a-z][a-z0-9-]{0,24}[a-z0-9]$");
}

TEST(StorageConfig, PurgeAgeUnderThreeDaysIsRejectedNamingTheRule) {
  expect_refused({"acme", "--param", "CacheDataPurgeAgeOfCachedBucketObjInDays=2"},
                 "CacheDataPurgeAgeOfCachedBucketObjInDays \"2\" breaks the rule a whole number "
                 "of days, 3 or more");
  expect_refused({"acme", "--param", "CacheDataPurgeAgeOfCachedBucketObjInDays=-5"}, "3 or more");
}

TEST(StorageConfig, OtherBadValuesAreRejectedNamingTheRule) {
  expect_refused({"acme", "--param", "EnablePointInTimeRecovery=yes"}, "TRUE or FALSE");
  expect_refused({"acme", "--param", "RolePath=service"}, "RolePath \"service\" breaks the rule");
  expect_refused({"acme", "--param", "NoSuchParam=1"}, "not a parameter of the storage template");
  expect_refused({"acme", "--param", "Prefix=other"}, "contradicts the stack's PREFIX");
  expect_refused({"acme", "--tag", "aws:x=1"}, "reserved");
  expect_refused({"acme", "--tag", "novalue"}, "--tag 'novalue' is not of the form KEY=VALUE");
  expect_refused({"acme", "--region", "mars-1"}, "region \"mars-1\" breaks the rule");
  expect_refused({"acme", "--template", "/nonexistent/t.yml"}, "is not a file");
}

// Org (20) + 1 + prefix + ProjectId must stay within 33: 21 + 2 + 10 fits, 21 + 3 + 10 does not.
TEST(StorageConfig, BucketNameLengthIsCheckedAtItsExactBoundary) {
  const std::string org = "--param=S3BucketNameOrgPrefix=" + std::string(20, 'o');
  TempDir fits;
  ProcessRun r = config(fits, {"ab", org});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  expect_refused({"abc", org},
                 "could be 64 characters, over S3's limit of 63 (rule: counting 12 for the account "
                 "and 15 for the longest region name");
}

TEST(StorageConfig, MalformedExistingFileIsRejectedAndKept) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/samconfigs/acme/cache-data");
  const std::string broken = "version = 0.1\n[default.deploy.parameters]\nstack_name = oops\n";
  write_file(config_file(dir), broken);
  ProcessRun r = config(dir, {"acme"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find(config_file(dir) + ":3: \"oops\" is not a string"), std::string::npos)
      << r.describe();
  EXPECT_NE(r.err.find("fix or remove it"), std::string::npos) << r.describe();
  EXPECT_EQ(read_file(config_file(dir)), broken);
}

TEST(CliKeyGenerate, PrintsA256BitKeyAsHexAndADifferentOneEachTime) {
  TempDir dir;
  ProcessRun a = run_cachedata({"key", "generate"}, dir.path());
  ProcessRun b = run_cachedata({"key", "generate", "--bits", "256"}, dir.path());
  ASSERT_EQ(a.exit_code, 0) << a.describe();
  ASSERT_EQ(b.exit_code, 0) << b.describe();
  ASSERT_EQ(a.out.size(), 65u) << a.out;
  EXPECT_EQ(a.out.find_first_not_of("0123456789abcdef"), 64u);
  EXPECT_NE(a.out, b.out);
  ProcessRun c = run_cachedata({"key", "generate", "--bits", "512"}, dir.path());
  EXPECT_EQ(c.out.size(), 129u);
}

TEST(CliKeyGenerate, BitsThatAreNotWholeBytesAreAUsageError) {
  TempDir dir;
  ProcessRun r = run_cachedata({"key", "generate", "--bits", "100"}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("a multiple of 8"), std::string::npos) << r.describe();
  EXPECT_TRUE(r.out.empty());
}

}  // namespace
}  // namespace cachedata::testing
