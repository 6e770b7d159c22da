// The storage template (infra/template-storage-cache-data.yml) and the sample application
// template: they pass the pinned cfn-lint (npm cfn-lint@1.9.7 in node_modules/, installed by
// scripts/install-test-servers.sh), and the storage template holds what cachedata relies on —
// export names, key schema, TTL attribute, lifecycle prefix, exactly the run-time actions, and
// the same parameter rules as `cachedata storage config` (src/cli/storage_params).
// Without node_modules/ or python3-yaml the tests skip, except under CI=true where they fail.
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <set>
#include <string>

#include "cli/storage/storage_params.hpp"
#include "support/cli_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

using nlohmann::json;

const std::string kSource = CACHEDATA_SOURCE_DIR;
const std::string kStorageTemplate = kSource + "/infra/template-storage-cache-data.yml";
const std::string kSampleTemplate = kSource + "/infra/template-application-sample.yml";
const std::string kCfnLint = kSource + "/node_modules/.bin/cfn-lint";
const std::string kPython = "/usr/bin/python3";

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

#define SKIP_OR_FAIL_WITHOUT(condition, what)                                   \
  if (!(condition)) {                                                           \
    if (in_ci()) FAIL() << what << " is missing, and CI=true requires it";      \
    GTEST_SKIP() << what << " is missing: run scripts/install-test-servers.sh"; \
  }

// cfn-lint's output without its colour codes.
std::string plain(std::string text) {
  for (size_t at; (at = text.find('\x1b')) != std::string::npos;) {
    text.erase(at, text.find('m', at) - at + 1);
  }
  return text;
}

ProcessRun lint(const std::vector<std::string>& args) {
  TempDir home;
  return run_program(args[0], std::vector<std::string>(args.begin() + 1, args.end()), home.path());
}

std::string node() {
  for (const char* dir : {"/usr/bin/node", "/usr/local/bin/node"}) {
    if (access(dir, X_OK) == 0) return dir;
  }
  return "";
}

TEST(StorageTemplate, LintsCleanWithThePinnedCfnLint) {
  SKIP_OR_FAIL_WITHOUT(access(kCfnLint.c_str(), X_OK) == 0 && !node().empty(),
                       "node_modules/.bin/cfn-lint");
  // The wrapper adds to cfn-lint's 2019 resource specification only the S3 OwnershipControls
  // property, which AWS added later (see infra/lint/cfn-lint-current-spec.js).
  for (const std::string& file : {kStorageTemplate, kSampleTemplate}) {
    ProcessRun r =
        lint({node(), kSource + "/infra/lint/cfn-lint-current-spec.js", "validate", file});
    const std::string out = plain(r.out + r.err);
    EXPECT_EQ(r.exit_code, 0) << file << "\n" << out;
    EXPECT_NE(out.find("0 warn"), std::string::npos) << out;
    EXPECT_NE(out.find("0 crit"), std::string::npos) << out;
    EXPECT_NE(out.find("Template valid!"), std::string::npos) << out;
  }
}

TEST(StorageTemplate, PlainCfnLintFindsOnlyTheOwnershipControlsItsSpecPredates) {
  SKIP_OR_FAIL_WITHOUT(access(kCfnLint.c_str(), X_OK) == 0, "node_modules/.bin/cfn-lint");
  ProcessRun r = lint({kCfnLint, "validate", kStorageTemplate});
  const std::string out = plain(r.out + r.err);
  EXPECT_NE(out.find("0 warn"), std::string::npos) << out;
  if (out.find("Template valid!") != std::string::npos) return;  // a newer specification
  EXPECT_NE(out.find("1 crit"), std::string::npos) << out;
  EXPECT_NE(out.find("OwnershipControls is not a valid property of AWS::S3::Bucket"),
            std::string::npos)
      << out;
  ProcessRun sample = lint({kCfnLint, "validate", kSampleTemplate});
  EXPECT_EQ(sample.exit_code, 0) << plain(sample.out + sample.err);
}

// The template as JSON, with the short forms (!Ref, !Sub...) as their long forms.
json load_template(const std::string& path) {
  static const char* kToJson = R"(
import json, sys, yaml
class Loader(yaml.SafeLoader):
    pass
def intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else "Fn::" + suffix: value}
Loader.add_multi_constructor("!", intrinsic)
with open(sys.argv[1]) as f:
    json.dump(yaml.load(f, Loader=Loader), sys.stdout)
)";
  TempDir home;
  ProcessRun r = run_program(kPython, {"-c", kToJson, path}, home.path());
  if (r.exit_code != 0) throw std::runtime_error("python3 failed: " + r.describe());
  return json::parse(r.out);
}

bool python_yaml() {
  TempDir home;
  return access(kPython.c_str(), X_OK) == 0 &&
         run_program(kPython, {"-c", "import yaml"}, home.path()).exit_code == 0;
}

class StorageTemplateContent : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_OR_FAIL_WITHOUT(python_yaml(), "python3-yaml (scripts/install-deps.sh)");
    t_ = load_template(kStorageTemplate);
  }
  const json& resource(const std::string& name) { return t_.at("Resources").at(name); }
  json t_;
};

TEST_F(StorageTemplateContent, ExportsExactlyTheNamesApplicationsImport) {
  std::set<std::string> exports;
  for (const auto& [name, output] : t_.at("Outputs").items()) {
    if (output.contains("Export"))
      exports.insert(output["Export"]["Name"]["Fn::Sub"].get<std::string>());
  }
  EXPECT_EQ(exports, (std::set<std::string>{
                         "${Prefix}-CacheDataDynamoDbTable", "${Prefix}-CacheDataS3Bucket",
                         "${Prefix}-CacheDataS3BucketArn", "${Prefix}-CacheDataDynamoDbTableArn",
                         "${Prefix}-CacheDataManagedLambdaExecutionRolePolicy"}));
  EXPECT_EQ(t_["Outputs"]["CacheDataManagedLambdaExecutionRolePolicy"]["Condition"],
            "CreateManagedPolicy");
  EXPECT_TRUE(t_["Outputs"].contains("CacheDataDynamoDbTableConsole"));
  EXPECT_TRUE(t_["Outputs"].contains("CacheDataS3BucketConsole"));
}

TEST_F(StorageTemplateContent, TableIsKeyedByIdHashWithTtlOnPurgeTs) {
  const json& table = resource("CacheDataDynamoDbTable");
  EXPECT_EQ(table["Type"], "AWS::DynamoDB::Table");
  EXPECT_EQ(table["DeletionPolicy"], "Delete");
  EXPECT_EQ(table["UpdateReplacePolicy"], "Retain");
  const json& p = table["Properties"];
  EXPECT_EQ(p["TableName"]["Fn::Sub"], "${Prefix}-${ProjectId}-CacheData");
  EXPECT_EQ(p["KeySchema"], json::parse(R"([{"AttributeName":"id_hash","KeyType":"HASH"}])"));
  EXPECT_EQ(p["AttributeDefinitions"],
            json::parse(R"([{"AttributeName":"id_hash","AttributeType":"S"}])"));
  EXPECT_EQ(p["TimeToLiveSpecification"],
            json::parse(R"({"AttributeName":"purge_ts","Enabled":true})"));
  EXPECT_EQ(p["BillingMode"], "PAY_PER_REQUEST");
  EXPECT_EQ(p["SSESpecification"]["SSEEnabled"], true);
  EXPECT_EQ(p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]["Fn::If"][0],
            "PointInTimeRecovery");
  EXPECT_EQ(t_["Parameters"]["EnablePointInTimeRecovery"]["Default"], "FALSE");
}

TEST_F(StorageTemplateContent, BucketIsPrivateEncryptedAndPurgesCachePrefix) {
  const json& p = resource("CacheDataS3Bucket")["Properties"];
  // !Join, never a bare !If: see the comment in the template (cfn-lint's Ref limitation).
  ASSERT_TRUE(p["BucketName"].contains("Fn::Join")) << p["BucketName"];
  EXPECT_EQ(p["BucketName"]["Fn::Join"][1][1]["Fn::Sub"],
            "${Prefix}-${ProjectId}-${AWS::AccountId}-${AWS::Region}");
  for (const char* flag :
       {"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"}) {
    EXPECT_EQ(p["PublicAccessBlockConfiguration"][flag], true) << flag;
  }
  EXPECT_EQ(p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
             ["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
            "AES256");
  EXPECT_EQ(p["OwnershipControls"]["Rules"][0]["ObjectOwnership"], "BucketOwnerEnforced");
  ASSERT_EQ(p["LifecycleConfiguration"]["Rules"].size(), 1u);
  const json& rule = p["LifecycleConfiguration"]["Rules"][0];
  EXPECT_EQ(rule["Prefix"], "cache/");
  EXPECT_EQ(rule["Status"], "Enabled");
  EXPECT_EQ(rule["ExpirationInDays"]["Ref"], "CacheDataPurgeAgeOfCachedBucketObjInDays");
  EXPECT_EQ(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"], 1);
}

TEST_F(StorageTemplateContent, BucketPolicyOnlyDeniesRequestsWithoutTls) {
  const json& statements =
      resource("CacheDataS3BucketPolicy")["Properties"]["PolicyDocument"]["Statement"];
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0]["Effect"], "Deny");
  EXPECT_EQ(statements[0]["Principal"], "*");
  EXPECT_EQ(statements[0]["Condition"]["Bool"]["aws:SecureTransport"], "false");
}

TEST_F(StorageTemplateContent, ManagedPolicyGrantsExactlyTheRunTimeActions) {
  const json& policy = resource("ManagedLambdaExecutionRolePolicy");
  EXPECT_EQ(policy["Condition"], "CreateManagedPolicy");
  EXPECT_EQ(policy["Properties"]["ManagedPolicyName"]["Fn::Sub"],
            "${Prefix}-${ProjectId}-ManagedLambdaExecutionRolePolicy");
  EXPECT_EQ(policy["Properties"]["Path"]["Ref"], "RolePath");
  std::multiset<std::string> actions;
  for (const json& s : policy["Properties"]["PolicyDocument"]["Statement"]) {
    EXPECT_EQ(s["Effect"], "Allow");
    for (const json& a : s["Action"]) actions.insert(a.get<std::string>());
    if (s["Action"].size() == 2 && s["Action"][0] == "s3:GetObject") {
      EXPECT_EQ(s["Resource"]["Fn::Sub"], "${CacheDataS3Bucket.Arn}/cache/*");
    }
  }
  EXPECT_EQ(actions, (std::multiset<std::string>{"s3:GetObject", "s3:PutObject", "s3:ListBucket",
                                                 "dynamodb:GetItem", "dynamodb:PutItem",
                                                 "dynamodb:UpdateItem", "dynamodb:BatchGetItem"}));
}

TEST_F(StorageTemplateContent, ParametersHaveTheCliRulesAndAreAllGrouped) {
  const json& params = t_.at("Parameters");
  std::set<std::string> names;
  for (const auto& [name, p] : params.items()) names.insert(name);
  std::set<std::string> cli_names;
  for (const auto& rule : cli::storage::param_rules()) {
    const std::string name(rule.name);
    cli_names.insert(name);
    ASSERT_TRUE(params.contains(name)) << name;
    const json& p = params[name];
    if (p.contains("AllowedPattern")) {
      EXPECT_EQ(p["AllowedPattern"], std::string(rule.rule)) << name;
    }
    if (p.contains("AllowedValues")) {
      EXPECT_EQ(rule.rule, "TRUE or FALSE") << name;
    }
    const std::string def =
        p.contains("Default") ? (p["Default"].is_number() ? std::to_string(p["Default"].get<int>())
                                                          : p["Default"].get<std::string>())
                              : "";
    EXPECT_EQ(def, std::string(rule.default_value)) << name;
  }
  EXPECT_EQ(names, cli_names);
  EXPECT_EQ(params["CacheDataPurgeAgeOfCachedBucketObjInDays"]["MinValue"], 3);
  std::multiset<std::string> grouped;
  for (const json& g : t_["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]) {
    for (const json& n : g["Parameters"]) grouped.insert(n.get<std::string>());
  }
  EXPECT_EQ(grouped, std::multiset<std::string>(names.begin(), names.end()));
}

TEST_F(StorageTemplateContent, SampleApplicationImportsTheExports) {
  const json sample = load_template(kSampleTemplate);
  const std::string text = sample.dump();
  for (const char* name :
       {"CACHE_DATA_DYNAMO_DB_TABLE", "CACHE_DATA_S3_BUCKET", "CACHE_DATA_SECURE_DATA_KEY_PARAM"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
  const json& vars = sample["Resources"]["AppFunction"]["Properties"]["Environment"]["Variables"];
  EXPECT_EQ(vars["CACHE_DATA_DYNAMO_DB_TABLE"]["Fn::ImportValue"]["Fn::Sub"],
            "${CacheDataStoragePrefix}-CacheDataDynamoDbTable");
  EXPECT_EQ(vars["CACHE_DATA_S3_BUCKET"]["Fn::ImportValue"]["Fn::Sub"],
            "${CacheDataStoragePrefix}-CacheDataS3Bucket");
  EXPECT_EQ(vars["CACHE_DATA_SECURE_DATA_KEY_PARAM"]["Fn::Sub"],
            "${ParameterStoreHierarchy}${DeployEnvironment}/${Prefix}-${ProjectId}-${StageId}/"
            "CacheData_SecureDataKey");
  EXPECT_EQ(sample["Resources"]["AppExecutionRole"]["Properties"]["ManagedPolicyArns"][1]
                  ["Fn::ImportValue"]["Fn::Sub"],
            "${CacheDataStoragePrefix}-CacheDataManagedLambdaExecutionRolePolicy");
}

}  // namespace
}  // namespace cachedata::testing
