// A Cache whose data key lives in SSM Parameter Store, through a rotation: the new key seals
// (and ids) from the moment the Cache sees it, entries sealed under the keys before it still
// serve, and only the newest four keys are kept. SSM itself is the FAKE server of
// tests/support/fake_ssm_server.cpp (SSM has no local server); the store is the memory store.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cachedata/cache.hpp"
#include "store/memory_store.hpp"
#include "support/fake_ssm_server.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

using std::chrono::milliseconds;
using testing::FakeSsmServer;

std::string key_hex(char c) {
  return std::string(64, c);
}

class SsmKeyRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ssm.start());
    ssm.set("/app/key", key_hex('1'));
    Config config;
    config.store = Config::StoreKind::kCustom;
    config.custom_store = std::shared_ptr<Store>(store::make_memory_store());
    config.memory_max_bytes = 0;  // every get reads the store: what a rotation leaves there
    config.data_key_param = "/app/key";
    config.data_key_refresh_interval = std::chrono::seconds(1);  // the shortest
    config.aws.ssm_endpoint = ssm.endpoint();
    config.aws.region = "us-east-1";
    config.aws.access_key_id = "AKIDTEST";
    config.aws.secret_access_key = "secret";
    config.log_level = LogLevel::kOff;
    auto opened = Cache::open(config);
    ASSERT_TRUE(opened) << opened.status().to_string();
    cache = std::move(opened).value();
    origin.respond = [this](const Request& r, const Validators&) {
      return testing::ok_response("answer " + std::to_string(++answers) + " for " + r.uri);
    };
  }

  // Puts `hex` in the parameter and waits until the Cache ids requests with it.
  void rotate_to(const std::string& hex) {
    const std::string before = id("/probe");
    ssm.set("/app/key", hex);
    for (int i = 0; i < 300 && id("/probe") == before; ++i) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    ASSERT_NE(id("/probe"), before) << "the Cache did not take the new key";
  }

  std::string id(const std::string& path) {
    return cache->id_of(Profile{}, Request::get("https://api.example.com" + path)).value();
  }
  GetResult get(const std::string& path) {
    return cache->get(Profile{}, Request::get("https://api.example.com" + path), origin.fetcher());
  }

  FakeSsmServer ssm;
  std::unique_ptr<Cache> cache;
  testing::CountingFetcher origin;
  int answers = 0;
};

TEST_F(SsmKeyRotationTest, EntriesOfThePreviousKeysServeAfterARotation) {
  ASSERT_EQ(get("/a").source(), DataSource::kOriginal);
  const std::string old_id = id("/a");
  ASSERT_NO_FATAL_FAILURE(rotate_to(key_hex('2')));
  EXPECT_NE(id("/a"), old_id);  // new ids from the new key
  GetResult r = get("/a");
  EXPECT_EQ(r.source(), DataSource::kCache);
  EXPECT_EQ(r.body(), "answer 1 for https://api.example.com/a");
  EXPECT_EQ(origin.calls, 1);
  // A new entry is sealed under the new key and lives under the new id.
  ASSERT_EQ(get("/b").source(), DataSource::kOriginal);
  EXPECT_EQ(get("/b").source(), DataSource::kCache);
}

TEST_F(SsmKeyRotationTest, OnlyTheNewestFourKeysAreKept) {
  ASSERT_EQ(get("/a").source(), DataSource::kOriginal);  // sealed under key 1
  ASSERT_NO_FATAL_FAILURE(rotate_to(key_hex('2')));
  ASSERT_EQ(get("/b").source(), DataSource::kOriginal);  // sealed under key 2
  ASSERT_NO_FATAL_FAILURE(rotate_to(key_hex('3')));
  ASSERT_NO_FATAL_FAILURE(rotate_to(key_hex('4')));
  // Keys 4, 3, 2, 1: both entries still serve.
  EXPECT_EQ(get("/a").source(), DataSource::kCache);
  EXPECT_EQ(get("/b").source(), DataSource::kCache);
  ASSERT_NO_FATAL_FAILURE(rotate_to(key_hex('5')));
  // Keys 5, 4, 3, 2: key 1 is gone, so is what it sealed; key 2's entry still serves.
  EXPECT_EQ(get("/a").source(), DataSource::kOriginal);
  EXPECT_EQ(get("/b").source(), DataSource::kCache);
  EXPECT_EQ(origin.calls, 3);
}

TEST_F(SsmKeyRotationTest, AnUnchangedParameterIsNoRotation) {
  const std::string before = id("/a");
  std::this_thread::sleep_for(milliseconds(1500));  // past a refresh
  EXPECT_EQ(id("/a"), before);
}

}  // namespace
}  // namespace cachedata
