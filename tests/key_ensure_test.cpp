// `cachedata key ensure` end to end, against a FAKE SSM: SSM has no local server, so the test
// starts tests/support/fake_ssm_server (an in-memory stand-in speaking SSM's JSON 1.1 protocol)
// in this process and runs the real binary against it. Creates once with the file's tags, never
// overwrites, --dry-run changes nothing, a race lost to another writer is "exists", and bad tags
// files are usage errors (exit 2). The key never appears in the output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "support/aws_test_support.hpp"
#include "support/cli_process.hpp"
#include "support/fake_ssm_server.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

const std::string kName = "/app/PROD/acme-orders-prod/CacheData_SecureDataKey";

class KeyEnsure : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ssm_.start()); }

  ProcessRun ensure(std::vector<std::string> extra, const std::string& endpoint = "") {
    std::vector<std::string> args = {"key", "ensure", kName, "--endpoint-ssm",
                                     endpoint.empty() ? ssm_.endpoint() : endpoint};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cachedata(
        args, dir_.path(),
        {{"AWS_ACCESS_KEY_ID", "AKIDCACHEDATATEST"}, {"AWS_SECRET_ACCESS_KEY", "test-secret-key"}});
  }

  std::string tags_file(const std::string& text) {
    const std::string path = dir_.path() + "/template-configuration.json";
    write_file(path, text);
    return path;
  }

  bool stored() const {
    FakeSsmServer::StoredParameter p;
    return ssm_.get(kName, &p);
  }

  TempDir dir_;
  FakeSsmServer ssm_;  // a fake, not AWS
};

// No run of the command may show a key: nothing that looks like one in any output.
// (A hand-written scan: GCC 12's <regex> trips -Werror in the sanitizer build.)
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
size_t longest_hex_run(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = is_hex(c) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}
void expect_no_key_in(const ProcessRun& r) {
  EXPECT_LT(longest_hex_run(r.out), 32u) << r.describe();
  EXPECT_LT(longest_hex_run(r.err), 32u) << r.describe();
}

TEST_F(KeyEnsure, CreatesTheSecureStringOnceWithTheFilesTags) {
  const std::string file = tags_file(R"({"Parameters": {"Stage": "prod"},
      "Tags": {"Environment": "PROD", "team": "orders", "cost-center": "cache data"}})");
  ProcessRun r = ensure({"--tags-file", file});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("created SecureString parameter " + kName), std::string::npos) << r.out;
  expect_no_key_in(r);

  FakeSsmServer::StoredParameter stored;
  ASSERT_TRUE(ssm_.get(kName, &stored));
  EXPECT_EQ(stored.type, "SecureString");
  EXPECT_EQ(stored.value.size(), 64u);
  EXPECT_EQ(longest_hex_run(stored.value), 64u);
  EXPECT_EQ(stored.tags,
            (std::map<std::string, std::string>{
                {"Environment", "PROD"}, {"team", "orders"}, {"cost-center", "cache data"}}));
  EXPECT_EQ(r.out.find(stored.value), std::string::npos);

  // A second run finds it and leaves it alone.
  ProcessRun again = ensure({"--tags-file", file});
  ASSERT_EQ(again.exit_code, 0) << again.describe();
  EXPECT_NE(again.out.find("exists"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("not changed"), std::string::npos) << again.out;
  FakeSsmServer::StoredParameter after;
  ASSERT_TRUE(ssm_.get(kName, &after));
  EXPECT_EQ(after.value, stored.value);
  EXPECT_EQ(after.version, stored.version);
}

TEST_F(KeyEnsure, NeverOverwritesAnExistingKey) {
  ssm_.set(kName, "an-existing-key-that-must-stay");
  ProcessRun r = ensure({});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("exists"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not changed"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("an-existing-key"), std::string::npos) << r.out;
  FakeSsmServer::StoredParameter stored;
  ASSERT_TRUE(ssm_.get(kName, &stored));
  EXPECT_EQ(stored.value, "an-existing-key-that-must-stay");
  EXPECT_EQ(stored.version, 1);
}

TEST_F(KeyEnsure, AStringParameterIsLeftAloneWithAWarning) {
  ssm_.set(kName, "plain", "String");
  ProcessRun r = ensure({});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("not a SecureString"), std::string::npos) << r.err;
  FakeSsmServer::StoredParameter stored;
  ASSERT_TRUE(ssm_.get(kName, &stored));
  EXPECT_EQ(stored.value, "plain");
}

TEST_F(KeyEnsure, DryRunChangesNothingAndShowsNoKey) {
  const std::string file = tags_file(R"({"Tags": {"team": "orders"}})");
  ProcessRun r = ensure({"--tags-file", file, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("would create SecureString parameter " + kName), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("team=orders"), std::string::npos) << r.out;
  expect_no_key_in(r);
  EXPECT_FALSE(stored());
}

TEST_F(KeyEnsure, BitsSetTheKeyLength) {
  ProcessRun r = ensure({"--bits", "128"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  FakeSsmServer::StoredParameter stored;
  ASSERT_TRUE(ssm_.get(kName, &stored));
  EXPECT_EQ(stored.value.size(), 32u);
}

// GetParameter says missing, then another writer wins: PutParameter (Overwrite=false) answers
// ParameterAlreadyExists. A scripted server stands in for SSM to make the race certain.
TEST_F(KeyEnsure, ParameterAlreadyExistsFromARaceIsExists) {
  LocalHttpServer race;
  int put_calls = 0;
  race.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string target = req.get_header_value("X-Amz-Target");
    const bool put = target == "AmazonSSM.PutParameter";
    if (put) {
      ++put_calls;
      EXPECT_FALSE(nlohmann::json::parse(req.body).value("Overwrite", true));
    }
    res.status = 400;
    res.set_content(nlohmann::json{{"__type", put ? "ParameterAlreadyExists" : "ParameterNotFound"},
                                   {"message", "scripted"}}
                        .dump(),
                    "application/x-amz-json-1.1");
  });
  race.start(16);
  ProcessRun r = ensure({}, race.url());
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(put_calls, 1);
  EXPECT_NE(r.out.find("exists"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not changed"), std::string::npos) << r.out;
}

TEST_F(KeyEnsure, MissingTagsFileIsAUsageError) {
  ProcessRun r = ensure({"--tags-file", dir_.path() + "/nope.json"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("nope.json: cannot read it"), std::string::npos) << r.err;
  EXPECT_EQ(ssm_.calls(), 0);
}

TEST_F(KeyEnsure, MalformedTagsFileIsAUsageError) {
  ProcessRun r = ensure({"--tags-file", tags_file("{\"Tags\": {\"team\": ")});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("not a JSON object"), std::string::npos) << r.err;

  ProcessRun not_strings = ensure({"--tags-file", tags_file(R"({"Tags": {"team": 7}})")});
  EXPECT_EQ(not_strings.exit_code, 2) << not_strings.describe();
  EXPECT_NE(not_strings.err.find("not a string"), std::string::npos) << not_strings.err;

  ProcessRun tags_list = ensure({"--tags-file", tags_file(R"({"Tags": [{"Key": "a"}]})")});
  EXPECT_EQ(tags_list.exit_code, 2) << tags_list.describe();
  EXPECT_EQ(ssm_.calls(), 0);
  EXPECT_FALSE(stored());
}

TEST_F(KeyEnsure, BadParameterNameIsAUsageError) {
  ProcessRun r = run_cachedata(
      {"key", "ensure", "/app/bad name", "--endpoint-ssm", ssm_.endpoint()}, dir_.path());
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("CacheData_SecureDataKey"), std::string::npos) << r.err;
  EXPECT_EQ(ssm_.calls(), 0);
}

}  // namespace
}  // namespace cachedata::testing
