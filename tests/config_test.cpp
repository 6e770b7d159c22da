// Configuration from environment variables: every variable is read, and a bad value is an
// error that names the variable and the value (but never echoes a key).
#include <gtest/gtest.h>

#include <map>

#include "cachedata/config.hpp"
#include "cachedata/profile.hpp"

namespace cachedata {
namespace {

Result<Config> from(std::map<std::string, std::string> env) {
  return Config::from_env([env = std::move(env)](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

const std::string kKey(64, 'a');

TEST(ConfigTest, DefaultsWithAnEmptyEnvironment) {
  auto c = from({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->store, Config::StoreKind::kLocal);
  EXPECT_EQ(c->instance_id, "default");
  EXPECT_TRUE(c->keys.empty());
  EXPECT_EQ(c->purge_window, std::chrono::hours(24));
}

TEST(ConfigTest, ReadsEveryVariable) {
  auto c =
      from({{"CACHE_DATA_STORE", "memory"},
            {"CACHE_DATA_STORE_DIR", "/tmp/x"},
            {"CACHE_DATA_SECURE_DATA_KEY", kKey},
            {"CACHE_DATA_PREVIOUS_DATA_KEYS", std::string(64, 'b') + "," + std::string(64, 'c')},
            {"CACHE_DATA_SECURE_DATA_KEY_FILE", "/run/key"},
            {"CACHE_DATA_INSTANCE_ID", "prod"},
            {"CACHE_DATA_MEMORY_MAX_BYTES", "32M"},
            {"CACHE_DATA_LOCAL_MAX_BYTES", "2G"},
            {"CACHE_DATA_LOCAL_INLINE_MAX_BYTES", "64K"},
            {"CACHE_DATA_PURGE_EXPIRED_CACHE_ENTRIES_AFTER_X_HRS", "48"},
            {"CACHE_DATA_TIME_ZONE_FOR_INTERVAL", "America/Chicago"},
            {"CACHE_DATA_LOG_LEVEL", "debug"}});
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c->store, Config::StoreKind::kMemoryOnly);
  EXPECT_EQ(c->store_dir, "/tmp/x");
  ASSERT_EQ(c->keys.size(), 1u);
  EXPECT_EQ(c->keys[0].to_hex(), kKey);
  ASSERT_EQ(c->previous_keys.size(), 2u);
  EXPECT_EQ(c->previous_keys[1].to_hex(), std::string(64, 'c'));
  EXPECT_EQ(c->key_file, "/run/key");
  EXPECT_EQ(c->instance_id, "prod");
  EXPECT_EQ(c->memory_max_bytes, 32ull << 20);
  EXPECT_EQ(c->local_max_bytes, 2ull << 30);
  EXPECT_EQ(c->local_inline_max_bytes, 64ull << 10);
  EXPECT_EQ(c->purge_window, std::chrono::hours(48));
  EXPECT_EQ(c->default_time_zone, "America/Chicago");
  EXPECT_EQ(c->log_level, LogLevel::kDebug);
}

TEST(ConfigTest, BadValuesNameTheVariableAndTheValue) {
  struct Case {
    const char* var;
    const char* value;
  };
  for (Case c : {Case{"CACHE_DATA_STORE", "dynamo"}, Case{"CACHE_DATA_MEMORY_MAX_BYTES", "12x"},
                 Case{"CACHE_DATA_MEMORY_MAX_BYTES", "20000000000G"},
                 Case{"CACHE_DATA_LOCAL_MAX_BYTES", "-1"},
                 Case{"CACHE_DATA_PURGE_EXPIRED_CACHE_ENTRIES_AFTER_X_HRS", "soon"},
                 Case{"CACHE_DATA_TIME_ZONE_FOR_INTERVAL", "Mars/Olympus"},
                 Case{"CACHE_DATA_LOG_LEVEL", "loud"}}) {
    auto r = from({{c.var, c.value}});
    ASSERT_FALSE(r) << c.var;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.var), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.value), std::string::npos) << r.status().message();
  }
}

TEST(ConfigTest, BadKeyIsNamedButNeverEchoed) {
  std::string almost = std::string(63, 'a') + "g";  // 64 chars, one not hex
  for (const std::string& bad : {almost, std::string("deadbeef")}) {
    auto r = from({{"CACHE_DATA_SECURE_DATA_KEY", bad}});
    ASSERT_FALSE(r);
    EXPECT_NE(r.status().message().find("CACHE_DATA_SECURE_DATA_KEY"), std::string::npos);
    EXPECT_EQ(r.status().message().find(bad), std::string::npos) << r.status().message();
  }
  auto prev = from({{"CACHE_DATA_PREVIOUS_DATA_KEYS", kKey + ",zz"}});
  ASSERT_FALSE(prev);
  EXPECT_NE(prev.status().message().find("key 2"), std::string::npos);
}

TEST(ConfigTest, ProfileValidationNamesTheField) {
  Profile p;
  p.ttl = std::chrono::seconds(-1);
  EXPECT_NE(p.validate().message().find("profile.ttl"), std::string::npos);
  Profile q;
  q.on_interval = true;
  q.interval = std::chrono::seconds(0);
  EXPECT_NE(q.validate().message().find("profile.interval"), std::string::npos);
  Profile z;
  z.on_interval = true;
  z.time_zone = "Nowhere";
  EXPECT_NE(z.validate().message().find("Nowhere"), std::string::npos);
  EXPECT_TRUE(Profile{}.validate());
}

TEST(ConfigTest, DataKeyFromHexAcceptsWhitespaceAndUppercase) {
  auto k = DataKey::from_hex("  " + std::string(64, 'A') + "\n");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->to_hex(), std::string(64, 'a'));
}

}  // namespace
}  // namespace cachedata
