// SsmClient and the data key from SSM, against the FAKE SSM server of
// tests/support/fake_ssm_server.cpp (SSM has no local server; the fake speaks its JSON 1.1
// protocol), and the Lambda Parameters and Secrets extension against a local HTTP server.
// The key must never appear in an error message.
#include <gtest/gtest.h>

#include <atomic>

#include "aws/ssm_client.hpp"
#include "aws/ssm_data_key.hpp"
#include "cachedata/config.hpp"
#include "support/aws_test_support.hpp"
#include "support/fake_ssm_server.hpp"

namespace cachedata::aws {
namespace {

using cachedata::testing::env_of;
using cachedata::testing::FakeSsmServer;
using cachedata::testing::local_config;
using cachedata::testing::LocalHttpServer;
using std::chrono::milliseconds;

const std::string kKeyA(64, 'a');
const std::string kKeyB = std::string(32, '0') + std::string(32, 'f');

class AwsSsm : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fake.start()); }
  std::shared_ptr<const SsmClient> client() {
    return std::make_shared<const SsmClient>(local_config(Service::kSsm, fake.endpoint()));
  }
  FakeSsmServer fake;
};

TEST_F(AwsSsm, PutThenGetWithAndWithoutDecryption) {
  auto ssm = client();
  PutParameterRequest put;
  put.name = "/cachedata/app/key";
  put.value = kKeyA;
  put.tags = {{"app", "demo"}};
  auto outcome = ssm->put_parameter(put);
  ASSERT_TRUE(outcome) << outcome.status().to_string();
  EXPECT_FALSE(outcome->already_exists);
  EXPECT_EQ(outcome->version, 1);
  auto p = ssm->get_parameter("/cachedata/app/key");
  ASSERT_TRUE(p) << p.status().to_string();
  EXPECT_EQ(p->value, kKeyA);
  EXPECT_EQ(p->type, "SecureString");
  EXPECT_EQ(p->version, 1);
  auto encrypted = ssm->get_parameter("/cachedata/app/key", /*with_decryption=*/false);
  ASSERT_TRUE(encrypted);
  EXPECT_NE(encrypted->value, kKeyA);
  FakeSsmServer::StoredParameter stored;
  ASSERT_TRUE(fake.get("/cachedata/app/key", &stored));
  EXPECT_EQ(stored.tags["app"], "demo");
}

TEST_F(AwsSsm, ParameterNotFoundIsNotFound) {
  auto p = client()->get_parameter("/missing");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.status().code(), Status::Code::kNotFound);
  EXPECT_NE(p.status().message().find("SSM GetParameter: HTTP 400 ParameterNotFound"),
            std::string::npos)
      << p.status().message();
}

TEST_F(AwsSsm, ParameterAlreadyExistsIsAnOutcomeAndOverwriteReplaces) {
  auto ssm = client();
  PutParameterRequest put;
  put.name = "/p";
  put.value = kKeyA;
  ASSERT_TRUE(ssm->put_parameter(put));
  put.value = kKeyB;
  auto again = ssm->put_parameter(put);
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_TRUE(again->already_exists);
  EXPECT_EQ(ssm->get_parameter("/p")->value, kKeyA);
  put.overwrite = true;
  auto replaced = ssm->put_parameter(put);
  ASSERT_TRUE(replaced);
  EXPECT_FALSE(replaced->already_exists);
  EXPECT_EQ(replaced->version, 2);
  EXPECT_EQ(ssm->get_parameter("/p")->value, kKeyB);
  // SSM refuses tags with overwrite; the error must not echo the value.
  put.tags = {{"k", "v"}};
  auto refused = ssm->put_parameter(put);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(refused.status().message().find(kKeyB), std::string::npos);
}

TEST_F(AwsSsm, AddTagsToResource) {
  auto ssm = client();
  fake.set("/t", kKeyA);
  ASSERT_TRUE(ssm->add_tags_to_resource("Parameter", "/t", {{"owner", "cachedata"}}));
  FakeSsmServer::StoredParameter stored;
  ASSERT_TRUE(fake.get("/t", &stored));
  EXPECT_EQ(stored.tags["owner"], "cachedata");
  EXPECT_FALSE(ssm->add_tags_to_resource("Parameter", "/absent", {{"a", "b"}}));
}

TEST_F(AwsSsm, ThrottlingIsRetried) {
  auto ssm = client();
  fake.set("/t", kKeyA);
  fake.fail_next(2, 400, "ThrottlingException");
  auto p = ssm->get_parameter("/t");
  ASSERT_TRUE(p) << p.status().to_string();
  EXPECT_EQ(fake.calls(), 3);
}

TEST_F(AwsSsm, DataKeyReadAtStartAndRefreshedOnAnInterval) {
  fake.set("/k", kKeyA);
  auto provider = SsmDataKeyProvider::start(ssm_key_source(client(), "/k"), "/k", milliseconds(50));
  ASSERT_TRUE(provider) << provider.status().to_string();
  EXPECT_EQ((*provider)->current().to_hex(), kKeyA);
  EXPECT_EQ((*provider)->generation(), 1u);
  fake.set("/k", kKeyB);  // a rotation
  for (int i = 0; i < 100 && (*provider)->generation() == 1; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ((*provider)->generation(), 2u);
  EXPECT_EQ((*provider)->current().to_hex(), kKeyB);
}

TEST_F(AwsSsm, FailedRefreshKeepsTheLastGoodKey) {
  fake.set("/k", kKeyA);
  auto provider = SsmDataKeyProvider::start(ssm_key_source(client(), "/k"), "/k", milliseconds(0));
  ASSERT_TRUE(provider);
  fake.set("/k", "not-a-key-" + kKeyB);
  Status s = (*provider)->refresh();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message().find(kKeyB), std::string::npos) << "the value leaked into the error";
  EXPECT_EQ((*provider)->current().to_hex(), kKeyA);
  EXPECT_EQ((*provider)->last_error().code(), Status::Code::kInvalidArgument);
  fake.fail_next(100, 500, "InternalServerError");
  EXPECT_FALSE((*provider)->refresh());
  EXPECT_EQ((*provider)->current().to_hex(), kKeyA);
  fake.fail_next(0, 0, "");
  fake.set("/k", kKeyB);
  EXPECT_TRUE((*provider)->refresh());
  EXPECT_TRUE((*provider)->last_error());
  EXPECT_EQ((*provider)->current().to_hex(), kKeyB);
}

TEST_F(AwsSsm, MissingOrMalformedKeyAtStartIsAClearErrorWithoutTheValue) {
  auto missing =
      SsmDataKeyProvider::start(ssm_key_source(client(), "/nope"), "/nope", milliseconds(0));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("/nope does not exist"), std::string::npos)
      << missing.status().message();
  const std::string short_value = "abcdef0123456789";
  fake.set("/short", short_value);
  auto bad =
      SsmDataKeyProvider::start(ssm_key_source(client(), "/short"), "/short", milliseconds(0));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("64 hex characters"), std::string::npos);
  EXPECT_EQ(bad.status().message().find(short_value), std::string::npos);
}

TEST_F(AwsSsm, OpenFromOptionsAndEnvironment) {
  fake.set("/env/key", kKeyA);
  AwsOptions options;
  options.ssm_endpoint = fake.endpoint();
  auto provider = open_ssm_data_key("/env/key", milliseconds(0), options,
                                    env_of({{"AWS_REGION", "eu-west-1"},
                                            {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                            {"AWS_SECRET_ACCESS_KEY", "SECRET"}}));
  ASSERT_TRUE(provider) << provider.status().to_string();
  EXPECT_EQ((*provider)->current().to_hex(), kKeyA);
}

TEST(AwsSsmConfig, ParameterNameFromEnvironment) {
  auto config = Config::from_env([](const char* name) -> const char* {
    return std::string(name) == "CACHE_DATA_SECURE_DATA_KEY_PARAM" ? "/app/key" : nullptr;
  });
  ASSERT_TRUE(config) << config.status().to_string();
  EXPECT_EQ(config->data_key_param, "/app/key");
}

// The Parameters and Secrets Lambda extension, on a local port.
TEST(AwsSsmLambdaExtension, ReadsThroughTheExtensionWithTheSessionToken) {
  LocalHttpServer extension;
  std::atomic<int> hits{0};
  extension.server().Get(
      "/systemsmanager/parameters/get", [&](const httplib::Request& req, httplib::Response& res) {
        ++hits;
        if (req.get_header_value("X-Aws-Parameters-Secrets-Token") != "session-token" ||
            req.get_param_value("withDecryption") != "true") {
          res.status = 401;
          return;
        }
        if (req.get_param_value("name") != "/app/key") {
          res.status = 400;
          res.set_content("ParameterNotFound", "text/plain");
          return;
        }
        res.set_content(R"({"Parameter":{"Name":"/app/key","Type":"SecureString","Value":")" +
                            kKeyA + R"(","Version":3}})",
                        "application/json");
      });
  extension.start();
  auto env = env_of({{"AWS_LAMBDA_FUNCTION_NAME", "fn"},
                     {"AWS_SESSION_TOKEN", "session-token"},
                     {"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", std::to_string(extension.port())}});
  // No SSM client would work here (nothing listens on it): the extension must answer.
  auto unused =
      std::make_shared<const SsmClient>(local_config(Service::kSsm, "http://127.0.0.1:1"));
  auto provider = SsmDataKeyProvider::start(default_key_source(env, unused, "/app/key"), "/app/key",
                                            milliseconds(0));
  ASSERT_TRUE(provider) << provider.status().to_string();
  EXPECT_EQ((*provider)->current().to_hex(), kKeyA);
  EXPECT_EQ(hits.load(), 1);
  auto missing = lambda_extension_key_source(env, "/other")->fetch();
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
}

TEST(AwsSsmLambdaExtension, FallsBackToSsmWhenTheExtensionDoesNotAnswer) {
  FakeSsmServer fake;
  ASSERT_TRUE(fake.start());
  fake.set("/app/key", kKeyB);
  LocalHttpServer closed;
  closed.start();
  const int port = closed.port();
  closed.stop();
  auto env = env_of({{"AWS_LAMBDA_FUNCTION_NAME", "fn"},
                     {"AWS_SESSION_TOKEN", "t"},
                     {"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", std::to_string(port)}});
  auto ssm = std::make_shared<const SsmClient>(local_config(Service::kSsm, fake.endpoint()));
  auto key = default_key_source(env, ssm, "/app/key")->fetch();
  ASSERT_TRUE(key) << key.status().to_string();
  EXPECT_EQ(key->to_hex(), kKeyB);
}

}  // namespace
}  // namespace cachedata::aws
