// `cachedata storage deploy` end to end. The real SAM and AWS CLIs are never run: each test puts
// stub `sam` / `aws` programs first on PATH. The stubs stand in for the real CLIs: they record
// the argv they were given (one word per line, "--" between calls) and exit with $STUB_EXIT.
// So the tests check the exact commands, for both CLIs, with and without --dry-run.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/cli_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

const std::string kTemplate =
    std::string(CACHEDATA_SOURCE_DIR) + "/infra/template-storage-cache-data.yml";

class StorageDeploy : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = dir_.path() + "/bin";
    std::filesystem::create_directories(bin_);
    record_ = dir_.path() + "/calls.txt";
    ProcessRun r = run_cachedata(
        {"storage", "config", "acme", "--dir", dir_.path(), "--param",
         "S3BucketNameOrgPrefix=example-org", "--tag", "team=platform", "--tag",
         "cost-center=cache data", "--region", "us-east-2", "--profile", "shared-infra"},
        dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.describe();
  }

  // A stub CLI named `name` in bin_.
  void install_stub(const std::string& name) {
    write_file(bin_ + "/" + name,
               "#!/bin/sh\n"
               "# Stands in for the real " +
                   name +
                   " CLI: records its argv, exits $STUB_EXIT.\n"
                   "printf '%s\\n' \"${0##*/}\" \"$@\" -- >> \"$STUB_RECORD\"\n"
                   "echo \"stub " +
                   name +
                   " ran\"\n"
                   "exit \"${STUB_EXIT:-0}\"\n",
               0755);
  }

  ProcessRun deploy(std::vector<std::string> extra = {}, const std::string& exit_code = "0") {
    std::vector<std::string> args = {"storage", "deploy", "acme", "--dir", dir_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cachedata(args, dir_.path(),
                         {{"PATH", bin_}, {"STUB_RECORD", record_}, {"STUB_EXIT", exit_code}});
  }

  std::string config_file() const {
    return dir_.path() + "/samconfigs/acme/cache-data/samconfig-acme-cache-data-storage.toml";
  }
  std::string calls() const {
    return std::filesystem::exists(record_) ? read_file(record_) : std::string();
  }

  TempDir dir_;
  std::string bin_;
  std::string record_;
};

// Words one per line, as the stubs record them.
std::string lines(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += w + "\n";
  return out;
}

const std::vector<std::string> kAwsDeploy = {"aws",
                                             "cloudformation",
                                             "deploy",
                                             "--template-file",
                                             kTemplate,
                                             "--stack-name",
                                             "acme-cache-data-storage",
                                             "--parameter-overrides",
                                             "Prefix=acme",
                                             "ProjectId=cache-data",
                                             "S3BucketNameOrgPrefix=example-org",
                                             "CacheDataPurgeAgeOfCachedBucketObjInDays=15",
                                             "EnablePointInTimeRecovery=FALSE",
                                             "CreateManagedLambdaExecutionRolePolicy=TRUE",
                                             "RolePath=/",
                                             "--tags",
                                             "team=platform",
                                             "cost-center=cache data",
                                             "--capabilities",
                                             "CAPABILITY_NAMED_IAM",
                                             "--no-fail-on-empty-changeset",
                                             "--region",
                                             "us-east-2",
                                             "--profile",
                                             "shared-infra"};

TEST_F(StorageDeploy, DryRunWithSamPrintsSamDeployOfTheConfigFile) {
  install_stub("sam");
  install_stub("aws");  // sam wins when both are installed
  ProcessRun r = deploy({"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "sam deploy --config-file " + config_file() + "\n");
  EXPECT_EQ(calls(), "") << "a dry run runs nothing";
}

TEST_F(StorageDeploy, DryRunWithOnlyAwsPrintsCloudFormationDeployShellQuoted) {
  install_stub("aws");
  ProcessRun r = deploy({"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out,
            "aws cloudformation deploy --template-file " + kTemplate +
                " --stack-name acme-cache-data-storage --parameter-overrides Prefix=acme "
                "ProjectId=cache-data S3BucketNameOrgPrefix=example-org "
                "CacheDataPurgeAgeOfCachedBucketObjInDays=15 EnablePointInTimeRecovery=FALSE "
                "CreateManagedLambdaExecutionRolePolicy=TRUE RolePath=/ --tags team=platform "
                "'cost-center=cache data' --capabilities CAPABILITY_NAMED_IAM "
                "--no-fail-on-empty-changeset --region us-east-2 --profile shared-infra\n");
  EXPECT_EQ(calls(), "");
}

TEST_F(StorageDeploy, SamDeployRunsWithTheExactArgvThenListsTheOutputs) {
  install_stub("sam");
  ProcessRun r = deploy();
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(calls(), lines({"sam", "deploy", "--config-file", config_file(), "--", "sam", "list",
                            "stack-outputs", "--stack-name", "acme-cache-data-storage", "--output",
                            "table", "--region", "us-east-2", "--profile", "shared-infra", "--"}));
  EXPECT_NE(r.out.find("Exports of acme-cache-data-storage"), std::string::npos) << r.out;
}

TEST_F(StorageDeploy, AwsDeployRunsWithTheExactArgvThenListsTheExports) {
  install_stub("aws");
  ProcessRun r = deploy();
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::vector<std::string> expected = kAwsDeploy;
  expected.push_back("--");
  for (const char* w :
       {"aws", "cloudformation", "describe-stacks", "--stack-name", "acme-cache-data-storage",
        "--query", "Stacks[0].Outputs[?ExportName].[ExportName,OutputValue]", "--output", "table",
        "--region", "us-east-2", "--profile", "shared-infra", "--"}) {
    expected.push_back(w);
  }
  EXPECT_EQ(calls(), lines(expected));
}

TEST_F(StorageDeploy, FailedDeployExitsOneAndListsNothing) {
  install_stub("sam");
  ProcessRun r = deploy({}, "3");
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("sam deploy failed (exit 3)"), std::string::npos) << r.describe();
  EXPECT_EQ(calls(), lines({"sam", "deploy", "--config-file", config_file(), "--"}));
}

TEST_F(StorageDeploy, NeitherCliInstalledIsAClearError) {
  ProcessRun r = deploy();
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("neither the SAM CLI (sam) nor the AWS CLI (aws) is on PATH"),
            std::string::npos)
      << r.describe();
  EXPECT_EQ(deploy({"--dry-run"}).exit_code, 2);
}

TEST_F(StorageDeploy, MissingConfigurationSaysToRunConfigFirst) {
  install_stub("sam");
  ProcessRun r = run_cachedata({"storage", "deploy", "other", "--dir", dir_.path()}, dir_.path(),
                               {{"PATH", bin_}, {"STUB_RECORD", record_}});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("run `cachedata storage config other --project-id cache-data` first"),
            std::string::npos)
      << r.describe();
  EXPECT_EQ(calls(), "");
}

TEST_F(StorageDeploy, HandEditBreakingARuleIsRefusedBeforeDeploying) {
  install_stub("sam");
  std::string text = read_file(config_file());
  const std::string from = "CacheDataPurgeAgeOfCachedBucketObjInDays=\\\"15\\\"";
  ASSERT_NE(text.find(from), std::string::npos) << text;
  text.replace(text.find(from), from.size(), "CacheDataPurgeAgeOfCachedBucketObjInDays=\\\"1\\\"");
  write_file(config_file(), text);
  ProcessRun r = deploy();
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find(config_file() + ": CacheDataPurgeAgeOfCachedBucketObjInDays \"1\" breaks "
                                       "the rule"),
            std::string::npos)
      << r.describe();
  EXPECT_EQ(calls(), "");
}

}  // namespace
}  // namespace cachedata::testing
