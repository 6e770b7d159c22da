// The storage stack's rules (src/cli/storage_params) and its samconfig file
// (src/cli/storage_samconfig), tested without the binary: every rule on values on both sides of
// its edges, the bucket-name length at its exact boundary, and files that must be refused.
#include <gtest/gtest.h>

#include <string>

#include "cli/storage/storage_params.hpp"
#include "cli/storage/storage_process.hpp"
#include "cli/storage/storage_samconfig.hpp"

namespace cachedata::cli::storage {
namespace {

TEST(StorageParams, PrefixFollowsItsPattern) {
  for (const char* ok : {"ab", "acme", "a-1", "abcdefgh", "x9"}) {
    EXPECT_TRUE(validate_prefix(ok)) << ok;
  }
  for (const char* bad : {"", "a", "Acme", "1abc", "abc-", "abcdefghi", "ab_c", "ab c", "-ab"}) {
    Status s = validate_prefix(bad);
    EXPECT_FALSE(s) << bad;
    EXPECT_NE(s.message().find("Prefix \"" + std::string(bad) +
                               "\" breaks the rule "
                               "^[a-z][a-z0-9-]{0,6}[a-z0-9]$"),
              std::string::npos)
        << s.message();
  }
}

TEST(StorageParams, ProjectIdFollowsItsPattern) {
  EXPECT_TRUE(validate_project_id("cache-data"));
  EXPECT_TRUE(validate_project_id(std::string(26, 'a')));
  EXPECT_FALSE(validate_project_id(std::string(27, 'a')));
  EXPECT_FALSE(validate_project_id("9lives"));
  EXPECT_FALSE(validate_project_id("cache-"));
  EXPECT_NE(validate_project_id("Cache").message().find("^[a-z][a-z0-9-]{0,24}[a-z0-9]$"),
            std::string::npos);
}

TEST(StorageParams, OrgPrefixIsEmptyOrFollowsItsPattern) {
  EXPECT_TRUE(validate_org_prefix(""));
  EXPECT_TRUE(validate_org_prefix("9org"));
  EXPECT_TRUE(validate_org_prefix(std::string(20, 'o')));
  EXPECT_FALSE(validate_org_prefix(std::string(21, 'o')));
  EXPECT_FALSE(validate_org_prefix("o"));
  EXPECT_FALSE(validate_org_prefix("-org"));
  EXPECT_FALSE(validate_org_prefix("Org"));
}

TEST(StorageParams, RolePathStartsAndEndsWithASlash) {
  for (const char* ok : {"/", "/service-role/", "/a/b.c@d/"})
    EXPECT_TRUE(validate_role_path(ok)) << ok;
  for (const char* bad : {"", "service/", "/service", "//", "/a//b/", "/a b/"}) {
    EXPECT_FALSE(validate_role_path(bad)) << bad;
  }
  EXPECT_FALSE(validate_role_path("/" + std::string(511, 'a') + "/"));
}

TEST(StorageParams, PurgeAgeIsAWholeNumberOfAtLeastThreeDays) {
  for (const char* ok : {"3", "15", "365", "2147483647"}) EXPECT_TRUE(validate_purge_age(ok)) << ok;
  for (const char* bad : {"2", "0", "-5", "", "3.5", " 3", "+3", "ten", "2147483648"}) {
    Status s = validate_purge_age(bad);
    EXPECT_FALSE(s) << bad;
    EXPECT_NE(s.message().find("CacheDataPurgeAgeOfCachedBucketObjInDays"), std::string::npos);
    EXPECT_NE(s.message().find("3 or more"), std::string::npos);
  }
}

TEST(StorageParams, TrueFalseIsUpperCase) {
  EXPECT_TRUE(validate_param("EnablePointInTimeRecovery", "TRUE"));
  EXPECT_TRUE(validate_param("CreateManagedLambdaExecutionRolePolicy", "FALSE"));
  EXPECT_FALSE(validate_param("EnablePointInTimeRecovery", "true"));
  EXPECT_FALSE(validate_param("CreateManagedLambdaExecutionRolePolicy", "yes"));
}

TEST(StorageParams, UnknownParameterIsRejectedWithTheKnownOnes) {
  Status s = validate_param("BucketName", "x");
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("not a parameter of the storage template"), std::string::npos);
  EXPECT_NE(s.message().find("RolePath"), std::string::npos);
}

TEST(StorageParams, RegionsAndTagsAndProfiles) {
  for (const char* ok : {"us-east-1", "ap-southeast-4", "us-gov-west-1", "us-isof-south-1"}) {
    EXPECT_TRUE(validate_region(ok)) << ok;
  }
  for (const char* bad : {"", "us-east", "US-EAST-1", "useast1", "us-east-100", "a-b-1"}) {
    EXPECT_FALSE(validate_region(bad)) << bad;
  }
  EXPECT_TRUE(validate_tag("team", "cache data"));
  EXPECT_TRUE(validate_tag("cost/center", ""));
  EXPECT_FALSE(validate_tag("", "x"));
  EXPECT_FALSE(validate_tag("aws:owner", "x"));
  EXPECT_FALSE(validate_tag("my key", "x"));
  EXPECT_FALSE(validate_tag("k", "say \"hi\""));
  EXPECT_FALSE(validate_tag("k", "back\\slash"));
  EXPECT_TRUE(validate_profile("prod-admin_2"));
  EXPECT_FALSE(validate_profile("a b"));
}

// [org-]prefix-project-<12>-<15>: 3 hyphens + 27 leave 33 for org (+1), prefix and project.
TEST(StorageParams, BucketNameLengthAtItsExactBoundary) {
  const std::string org(8, 'o');     // 8 + 1
  const std::string prefix(8, 'p');  // 8
  // 9 (org and its hyphen) + 8 + 16 = 33: exactly 63 characters.
  EXPECT_EQ(max_bucket_name_length(org, prefix, std::string(16, 'j')), 63u);
  EXPECT_TRUE(validate_bucket_name_length(org, prefix, std::string(16, 'j')));
  EXPECT_EQ(max_bucket_name_length(org, prefix, std::string(17, 'j')), 64u);
  Status s = validate_bucket_name_length(org, prefix, std::string(17, 'j'));
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("could be 64 characters, over S3's limit of 63"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("shorten them by 1"), std::string::npos) << s.message();
  // Without an org prefix there is no hyphen for it either.
  EXPECT_TRUE(validate_bucket_name_length("", prefix, std::string(25, 'j')));
  EXPECT_FALSE(validate_bucket_name_length("", prefix, std::string(26, 'j')));
}

StorageConfig sample() {
  StorageConfig c;
  c.prefix = "acme";
  c.project_id = "cache-data";
  c.template_file = "/opt/cachedata/share/cachedata/template-storage-cache-data.yml";
  c.region = "eu-west-1";
  for (const ParamRule& r : param_rules()) {
    c.set_parameter(std::string(r.name), std::string(r.default_value));
  }
  c.set_parameter("Prefix", "acme");
  c.set_tag("team", "platform");
  c.set_tag("purpose", "cache data");
  return c;
}

TEST(StorageSamconfig, RoundTripsWhatItWrites) {
  const StorageConfig c = sample();
  ASSERT_TRUE(validate(c));
  const std::string text = render_samconfig(c);
  EXPECT_NE(text.find("stack_name = \"acme-cache-data-storage\"\n"), std::string::npos);
  EXPECT_NE(text.find("parameter_overrides = \"Prefix=\\\"acme\\\" ProjectId=\\\"cache-data\\\" "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tags = \"team=\\\"platform\\\" purpose=\\\"cache data\\\"\"\n"),
            std::string::npos)
      << text;
  auto parsed = parse_samconfig(text, "f.toml", "acme", "cache-data");
  ASSERT_TRUE(parsed) << parsed.status().to_string();
  EXPECT_EQ(parsed->parameters, c.parameters);
  EXPECT_EQ(parsed->tags, c.tags);
  EXPECT_EQ(parsed->region, c.region);
  EXPECT_EQ(parsed->template_file, c.template_file);
  EXPECT_EQ(render_samconfig(*parsed), text);
}

TEST(StorageSamconfig, KeepsLinesAndTablesItDoesNotManage) {
  std::string text = render_samconfig(sample());
  text +=
      "s3_prefix = \"mine\"  # added by hand\n\n[default.global.parameters]\nbeta_features = "
      "true\n";
  auto parsed = parse_samconfig(text, "f.toml", "acme", "cache-data");
  ASSERT_TRUE(parsed) << parsed.status().to_string();
  const std::string again = render_samconfig(*parsed);
  EXPECT_NE(again.find("\ns3_prefix = \"mine\"  # added by hand\n"), std::string::npos) << again;
  EXPECT_NE(again.find("\n\n[default.global.parameters]\nbeta_features = true\n"),
            std::string::npos)
      << again;
  EXPECT_EQ(render_samconfig(*parse_samconfig(again, "f", "acme", "cache-data")), again);
}

TEST(StorageSamconfig, MalformedFilesAreRefusedNamingTheLine) {
  const std::string good = render_samconfig(sample());
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"[default.deploy.parameters]\n", "no `version = 0.1` line"},
      {"version = 0.2\n", "f.toml:1: version must be 0.1"},
      {"version = 0.1\n", "no [default.deploy.parameters] table"},
      {good + "region = \"us-east-1\"\n", "region appears twice"},
      {good + "nonsense\n", "neither a table header nor key = value"},
      {good + "x = \"unterminated\n", "closing quote"},
      {good + "x = bare words\n", "is not a string, a boolean, a number or an array"},
      {"version = 0.1\n[default.deploy.parameters]\nstack_name = \"other-cache-data-storage\"\n",
       "f.toml:3: stack_name is \"other-cache-data-storage\""},
      {"version = 0.1\n[default.deploy.parameters]\nparameter_overrides = \"Prefix=\\\"zz\\\"\"\n",
       "parameter_overrides sets Prefix=\"zz\""},
      {"version = 0.1\n[default.deploy.parameters]\ncapabilities = \"CAPABILITY_IAM\"\n",
       "capabilities must be \"CAPABILITY_NAMED_IAM\""},
      {"version = 0.1\n[default.deploy.parameters]\nparameter_overrides = \"Prefix=\\\"acme\"\n",
       "no closing quote"},
  };
  for (const Case& c : cases) {
    auto parsed = parse_samconfig(c.text, "f.toml", "acme", "cache-data");
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_NE(parsed.status().message().find(c.expected), std::string::npos)
        << parsed.status().message();
  }
}

TEST(StorageSamconfig, ValidateAppliesEveryRule) {
  StorageConfig c = sample();
  c.set_parameter("CacheDataPurgeAgeOfCachedBucketObjInDays", "1");
  EXPECT_FALSE(validate(c));
  c = sample();
  c.set_parameter("S3BucketNameOrgPrefix", std::string(20, 'o'));  // 21 + 4 + 10 > 33
  EXPECT_NE(validate(c).message().find("over S3's limit of 63"), std::string::npos);
  c = sample();
  c.parameters.erase(c.parameters.begin() + 2);
  EXPECT_NE(validate(c).message().find("is not set"), std::string::npos);
}

TEST(StorageProcess, ShellQuotingReadsBackAsTheSameWords) {
  EXPECT_EQ(shell_quote("Prefix=acme"), "Prefix=acme");
  EXPECT_EQ(shell_quote("/a/b.yml"), "/a/b.yml");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("cost=cache data"), "'cost=cache data'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("Stacks[0].Outputs[?ExportName]"), "'Stacks[0].Outputs[?ExportName]'");
  EXPECT_EQ(shell_join({"sam", "deploy", "--config-file", "/x y/z"}),
            "sam deploy --config-file '/x y/z'");
}

}  // namespace
}  // namespace cachedata::cli::storage
