// Credentials: each source of the SDK chain (environment, shared files with profiles, container
// endpoint, EC2 IMDSv2 — the last two against a local HTTP server), the chain's order, and the
// caching provider (refresh before expiry, keep serving valid credentials when a refresh
// fails, one fetch for many threads). No message may contain a secret.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "aws/aws_config_file.hpp"
#include "aws/credential_sources.hpp"
#include "aws/credentials.hpp"
#include "support/aws_test_support.hpp"
#include "support/test_support.hpp"

namespace cachedata::aws {
namespace {

using cachedata::testing::env_of;
using cachedata::testing::LocalHttpServer;
using cachedata::testing::TempDir;
using std::chrono::seconds;
using std::chrono::system_clock;

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

const char* kCredsJson = R"({"Code":"Success","AccessKeyId":"ASIATEST","SecretAccessKey":"s3cr3t",
  "Token":"tok3n","Expiration":"2030-01-02T03:04:05Z"})";

TEST(AwsCredentialsEnv, ReadsTheThreeVariables) {
  auto c = environment_source(env_of({{"AWS_ACCESS_KEY_ID", "AKID"},
                                      {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                                      {"AWS_SESSION_TOKEN", "TOKEN"}}))
               ->fetch();
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->keys.access_key_id, "AKID");
  EXPECT_EQ(c->keys.secret_access_key, "SECRET");
  EXPECT_EQ(c->keys.session_token, "TOKEN");
  EXPECT_FALSE(c->expiration);
}

TEST(AwsCredentialsEnv, UnsetIsNotFoundAndHalfSetIsAnErrorWithoutTheSecret) {
  auto none = environment_source(env_of({}))->fetch();
  EXPECT_EQ(none.status().code(), Status::Code::kNotFound);
  auto half = environment_source(env_of({{"AWS_SECRET_ACCESS_KEY", "SECRET"}}))->fetch();
  EXPECT_EQ(half.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(half.status().message().find("SECRET\""), std::string::npos);
  EXPECT_NE(half.status().message().find("AWS_ACCESS_KEY_ID is not"), std::string::npos);
}

TEST(AwsConfigFile, IniParserToleratesCommentsWhitespaceAndSubProperties) {
  auto ini = parse_ini(
      "# a comment\n"
      "; another\n"
      "\n"
      "  [ default ]  \n"
      "aws_access_key_id   =   AKID  \r\n"
      "Region=eu-west-1\n"
      "s3 =\n"
      "  addressing_style = path\n"
      "[profile   dev]\n"
      "region = us-west-2\n"
      "orphan line without equals\n");
  ASSERT_TRUE(ini.contains("default"));
  EXPECT_EQ(ini["default"]["aws_access_key_id"], "AKID");
  EXPECT_EQ(ini["default"]["region"], "eu-west-1");  // keys are case-insensitive
  EXPECT_EQ(ini["default"]["s3.addressing_style"], "path");
  EXPECT_EQ(ini["profile dev"]["region"], "us-west-2");
}

TEST(AwsCredentialsProfile, DefaultProfileFromHomeFiles) {
  TempDir home;
  std::filesystem::create_directories(home.path() + "/.aws");
  write_file(home.path() + "/.aws/credentials",
             "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = SDEFAULT\n");
  auto c = profile_source(env_of({{"HOME", home.path()}}))->fetch();
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->keys.access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(c->source, "profile 'default'");
}

TEST(AwsCredentialsProfile, AwsProfileSelectsConfigProfileSectionAndCredentialsFileWins) {
  TempDir dir;
  write_file(dir.path() + "/creds",
             "[dev]\naws_access_key_id = AKIDFROMCREDS\naws_secret_access_key = SCREDS\n");
  write_file(dir.path() + "/config",
             "[profile dev]\naws_access_key_id = AKIDFROMCONFIG\n"
             "aws_secret_access_key = SCONFIG\naws_session_token = TCONFIG\n"
             "[profile other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = SOTHER\n");
  auto env = env_of({{"AWS_PROFILE", "dev"},
                     {"AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/creds"},
                     {"AWS_CONFIG_FILE", dir.path() + "/config"}});
  auto c = profile_source(env)->fetch();
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->keys.access_key_id, "AKIDFROMCREDS");
  EXPECT_EQ(c->keys.secret_access_key, "SCREDS");
  EXPECT_EQ(c->keys.session_token, "TCONFIG");  // merged from the config file

  auto other = profile_source(env, "other")->fetch();
  ASSERT_TRUE(other);
  EXPECT_EQ(other->keys.access_key_id, "AKIDOTHER");
}

TEST(AwsCredentialsProfile, MissingNamedProfileIsAnErrorMissingDefaultIsNotFound) {
  TempDir dir;
  write_file(dir.path() + "/creds", "[default]\n");
  auto named = profile_source(env_of({{"AWS_PROFILE", "nope"},
                                      {"AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/creds"},
                                      {"AWS_CONFIG_FILE", dir.path() + "/config"}}))
                   ->fetch();
  EXPECT_EQ(named.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(named.status().message().find("'nope'"), std::string::npos);
  auto implicit = profile_source(env_of({{"HOME", dir.path() + "/nohome"}}))->fetch();
  EXPECT_EQ(implicit.status().code(), Status::Code::kNotFound);
}

TEST(AwsCredentialsProfile, UnsupportedRoleProfileSaysSo) {
  TempDir dir;
  write_file(dir.path() + "/config", "[profile r]\nrole_arn = arn:aws:iam::1:role/x\n");
  auto c = profile_source(env_of({{"AWS_CONFIG_FILE", dir.path() + "/config"}}), "r")->fetch();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("role_arn"), std::string::npos);
}

TEST(AwsCredentialsContainer, FullUriWithTokenFromEnvAndFromFile) {
  LocalHttpServer server;
  std::atomic<int> calls{0};
  std::string seen_auth;
  std::mutex mu;
  server.server().Get("/creds", [&](const httplib::Request& req, httplib::Response& res) {
    ++calls;
    std::lock_guard lock(mu);
    seen_auth = req.get_header_value("Authorization");
    res.set_content(kCredsJson, "application/json");
  });
  server.start();
  auto c = container_source(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
                                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"}}))
               ->fetch();
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->keys.access_key_id, "ASIATEST");
  EXPECT_EQ(c->keys.secret_access_key, "s3cr3t");
  EXPECT_EQ(c->keys.session_token, "tok3n");
  ASSERT_TRUE(c->expiration);
  EXPECT_EQ(std::chrono::floor<seconds>(*c->expiration).time_since_epoch().count(), 1893553445);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen_auth, "env-token");
  }

  TempDir dir;
  write_file(dir.path() + "/token", "file-token\n");
  auto f =
      container_source(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"},
                               {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.path() + "/token"}}))
          ->fetch();
  ASSERT_TRUE(f) << f.status().to_string();
  std::lock_guard lock(mu);
  EXPECT_EQ(seen_auth, "file-token");  // the file wins (EKS Pod Identity rotates it)
}

TEST(AwsCredentialsContainer, FullUriMustBeLoopbackOrHttps) {
  EXPECT_TRUE(container_uri_allowed("http://127.0.0.1:8080/creds"));
  EXPECT_TRUE(container_uri_allowed("http://localhost/creds"));
  EXPECT_TRUE(container_uri_allowed("http://[::1]:9/x"));
  EXPECT_TRUE(container_uri_allowed("http://169.254.170.2/v2/credentials/x"));
  EXPECT_TRUE(container_uri_allowed("http://169.254.170.23/v1/credentials"));
  EXPECT_TRUE(container_uri_allowed("http://[fd00:ec2::23]/v1/credentials"));
  EXPECT_TRUE(container_uri_allowed("https://creds.example.com/x"));
  EXPECT_FALSE(container_uri_allowed("http://example.com/creds"));
  EXPECT_FALSE(container_uri_allowed("http://127.0.0.1.evil.com/creds"));
  EXPECT_FALSE(container_uri_allowed("http://user@127.0.0.1/creds"));
  EXPECT_FALSE(container_uri_allowed("ftp://127.0.0.1/creds"));
  auto c = container_source(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.1/x"}}))
               ->fetch();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(container_source(env_of({}))->fetch().status().code(), Status::Code::kNotFound);
}

TEST(AwsCredentialsContainer, BadAnswerErrorNamesTheFieldNotTheSecret) {
  LocalHttpServer server;
  server.server().Get("/creds", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"SecretAccessKey":"TOPSECRETVALUE"})", "application/json");
  });
  server.start();
  auto c =
      container_source(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"}}))
          ->fetch();
  ASSERT_FALSE(c);
  EXPECT_NE(c.status().message().find("AccessKeyId"), std::string::npos);
  EXPECT_EQ(c.status().message().find("TOPSECRETVALUE"), std::string::npos);
}

// IMDSv2: a token from PUT (with its TTL header), then the role, then the credentials, each GET
// carrying the token.
class FakeImds {
 public:
  FakeImds() {
    server_.server().Put(
        "/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
          ++token_puts;
          if (req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds").empty()) {
            res.status = 400;
            return;
          }
          res.set_content("imds-token", "text/plain");
        });
    auto check = [this](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("X-aws-ec2-metadata-token") != "imds-token") {
        res.status = 401;
        ++unauthorized;
        return false;
      }
      return true;
    };
    server_.server().Get("/latest/meta-data/iam/security-credentials/",
                         [this, check](const httplib::Request& req, httplib::Response& res) {
                           if (!check(req, res)) return;
                           if (no_role) {
                             res.status = 404;
                             return;
                           }
                           res.set_content("my-role\n", "text/plain");
                         });
    server_.server().Get("/latest/meta-data/iam/security-credentials/my-role",
                         [check](const httplib::Request& req, httplib::Response& res) {
                           if (!check(req, res)) return;
                           res.set_content(kCredsJson, "application/json");
                         });
    server_.start();
  }
  std::string url() const { return server_.url(); }
  std::atomic<int> token_puts{0};
  std::atomic<int> unauthorized{0};
  std::atomic<bool> no_role{false};

 private:
  LocalHttpServer server_;
};

TEST(AwsCredentialsImds, TokenThenRoleThenCredentials) {
  FakeImds imds;
  auto c = imds_source(env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url() + "/"}}))->fetch();
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->keys.access_key_id, "ASIATEST");
  EXPECT_EQ(c->keys.session_token, "tok3n");
  EXPECT_TRUE(c->expiration);
  EXPECT_EQ(imds.token_puts.load(), 1);
  EXPECT_EQ(imds.unauthorized.load(), 0);
}

TEST(AwsCredentialsImds, DisabledNoRoleAndNothingListeningAreNotFound) {
  FakeImds imds;
  EXPECT_EQ(imds_source(env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()},
                                {"AWS_EC2_METADATA_DISABLED", "true"}}))
                ->fetch()
                .status()
                .code(),
            Status::Code::kNotFound);
  EXPECT_EQ(imds.token_puts.load(), 0);
  imds.no_role = true;
  auto no_role = imds_source(env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}))->fetch();
  EXPECT_EQ(no_role.status().code(), Status::Code::kNotFound);
  EXPECT_NE(no_role.status().message().find("no IAM role"), std::string::npos);
  // A port nobody listens on: the chain's last source found nothing.
  LocalHttpServer closed;
  closed.start();
  const std::string url = closed.url();
  closed.stop();
  EXPECT_EQ(
      imds_source(env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", url}}))->fetch().status().code(),
      Status::Code::kNotFound);
}

TEST(AwsCredentialsChain, EnvironmentBeforeProfileBeforeContainerBeforeImds) {
  FakeImds imds;
  TempDir dir;
  write_file(dir.path() + "/creds",
             "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = SPROFILE\n");
  std::map<std::string, std::string> vars{{"AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/creds"},
                                          {"AWS_CONFIG_FILE", dir.path() + "/config"},
                                          {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()},
                                          {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                          {"AWS_SECRET_ACCESS_KEY", "SENV"}};
  EXPECT_EQ(default_credentials_provider(env_of(vars))->get()->keys.access_key_id, "AKIDENV");
  vars.erase("AWS_ACCESS_KEY_ID");
  vars.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(default_credentials_provider(env_of(vars))->get()->keys.access_key_id, "AKIDPROFILE");
  vars["AWS_SHARED_CREDENTIALS_FILE"] = dir.path() + "/none";
  auto from_imds = default_credentials_provider(env_of(vars))->get();
  ASSERT_TRUE(from_imds) << from_imds.status().to_string();
  EXPECT_EQ(from_imds->keys.access_key_id, "ASIATEST");
  vars["AWS_EC2_METADATA_DISABLED"] = "true";
  auto none = default_credentials_provider(env_of(vars))->get();
  EXPECT_EQ(none.status().code(), Status::Code::kNotFound);
  EXPECT_NE(none.status().message().find("environment"), std::string::npos);
  EXPECT_NE(none.status().message().find("EC2 IMDS"), std::string::npos);
}

// A source that counts fetches and hands out credentials expiring `lifetime` from `now`.
class CountingSource : public CredentialsSource {
 public:
  CountingSource(cachedata::testing::ManualClock* clock, seconds lifetime)
      : clock_(clock), lifetime_(lifetime) {}
  std::string name() const override { return "counting"; }
  Result<AwsCredentials> fetch() override {
    ++fetches;
    if (fail) return Status::unavailable("refresh failed");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    AwsCredentials c;
    c.keys = {"AKID" + std::to_string(fetches.load()), "SECRET", "TOKEN"};
    c.expiration = clock_->now() + lifetime_;
    return c;
  }
  std::atomic<int> fetches{0};
  std::atomic<bool> fail{false};
  int delay_ms = 0;

 private:
  cachedata::testing::ManualClock* clock_;
  seconds lifetime_;
};

TEST(AwsCredentialsCaching, RefreshesFiveMinutesBeforeExpiry) {
  cachedata::testing::ManualClock clock;
  auto source = std::make_unique<CountingSource>(&clock, seconds(3600));
  CountingSource* counting = source.get();
  CachingCredentialsProvider provider(std::move(source), {seconds(300), clock.fn()});
  EXPECT_EQ(provider.get()->keys.access_key_id, "AKID1");
  clock.advance(seconds(3600 - 301));
  EXPECT_EQ(provider.get()->keys.access_key_id, "AKID1");
  EXPECT_EQ(counting->fetches.load(), 1);
  clock.advance(seconds(2));  // now within 5 minutes of the expiry
  EXPECT_EQ(provider.get()->keys.access_key_id, "AKID2");
  EXPECT_EQ(counting->fetches.load(), 2);
}

TEST(AwsCredentialsCaching, FailedRefreshKeepsServingValidCredentialsThenFails) {
  cachedata::testing::ManualClock clock;
  auto source = std::make_unique<CountingSource>(&clock, seconds(3600));
  CountingSource* counting = source.get();
  CachingCredentialsProvider provider(std::move(source), {seconds(300), clock.fn()});
  ASSERT_TRUE(provider.get());
  counting->fail = true;
  clock.advance(seconds(3500));  // in the refresh window, still valid
  auto still = provider.get();
  ASSERT_TRUE(still);
  EXPECT_EQ(still->keys.access_key_id, "AKID1");
  EXPECT_EQ(provider.last_refresh_error().code(), Status::Code::kUnavailable);
  clock.advance(seconds(200));  // expired
  EXPECT_EQ(provider.get().status().code(), Status::Code::kUnavailable);
  counting->fail = false;
  EXPECT_TRUE(provider.get());
  EXPECT_TRUE(provider.last_refresh_error());
}

TEST(AwsCredentialsCaching, ManyThreadsOneFetch) {
  cachedata::testing::ManualClock clock;
  auto source = std::make_unique<CountingSource>(&clock, seconds(3600));
  source->delay_ms = 50;
  CountingSource* counting = source.get();
  CachingCredentialsProvider provider(std::move(source), {seconds(300), clock.fn()});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 100; ++k) ok += provider.get().is_ok() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_EQ(counting->fetches.load(), 1);
}

TEST(AwsCredentialsCaching, InvalidateFetchesAgain) {
  cachedata::testing::ManualClock clock;
  auto source = std::make_unique<CountingSource>(&clock, seconds(3600));
  CountingSource* counting = source.get();
  CachingCredentialsProvider provider(std::move(source), {seconds(300), clock.fn()});
  ASSERT_TRUE(provider.get());
  provider.invalidate();
  EXPECT_EQ(provider.get()->keys.access_key_id, "AKID2");
  EXPECT_EQ(counting->fetches.load(), 2);
}

TEST(AwsCredentials, Iso8601Expirations) {
  auto t = parse_iso8601("2030-01-02T03:04:05Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::floor<seconds>(*t).time_since_epoch().count(), 1893553445);
  EXPECT_EQ(parse_iso8601("2030-01-02T03:04:05.123Z"), t);
  EXPECT_EQ(parse_iso8601("2030-01-02T05:04:05+02:00"), t);
  EXPECT_FALSE(parse_iso8601("2030-01-02 03:04:05"));
  EXPECT_FALSE(parse_iso8601("2030-02-30T03:04:05Z"));
  EXPECT_FALSE(parse_iso8601(""));
}

}  // namespace
}  // namespace cachedata::aws
