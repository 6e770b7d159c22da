// Cache::open's keys as a Config gives them: a key file (which seals and ids before config.keys),
// previous keys (which still open and find what they sealed), a key file that does not open, and
// Cache::purge, which removes an entry under every key the Cache holds. On the memory store.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "cachedata/cache.hpp"
#include "store/memory_store.hpp"
#include "support/faulty_store.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

class CacheOpenKeysTest : public ::testing::Test {
 protected:
  std::unique_ptr<Cache> open(std::vector<DataKey> keys, std::vector<DataKey> previous = {},
                              std::string key_file = "") {
    Config config;
    config.store = Config::StoreKind::kCustom;
    config.custom_store = store;
    config.keys = std::move(keys);
    config.previous_keys = std::move(previous);
    config.key_file = std::move(key_file);
    config.memory_max_bytes = 0;  // every get reads the store
    config.log_level = LogLevel::kOff;
    auto opened = Cache::open(config);
    EXPECT_TRUE(opened) << opened.status().to_string();
    return opened ? std::move(opened).value() : nullptr;
  }
  GetResult get(Cache& cache) { return cache.get(Profile{}, request, origin.fetcher()); }

  std::string write_key_file(const DataKey& key) {
    const std::string path = dir.path() + "/data.key";
    std::ofstream(path) << key.to_hex() << "\n";
    chmod(path.c_str(), 0600);
    return path;
  }

  testing::TempDir dir;
  std::shared_ptr<Store> store{store::make_memory_store()};
  testing::CountingFetcher origin;
  Request request = Request::get("https://api.example.com/keys");

  void SetUp() override {
    origin.respond = [](const Request&, const Validators&) { return testing::ok_response("v"); };
  }
};

TEST_F(CacheOpenKeysTest, AKeyFileSealsAndIdsBeforeTheConfiguredKeys) {
  const DataKey file_key = DataKey::generate();
  const DataKey listed = DataKey::generate();
  const std::string path = write_key_file(file_key);
  auto with_file = open({listed}, {}, path);
  ASSERT_NE(with_file, nullptr);
  EXPECT_EQ(with_file->key_file_path(), path);
  EXPECT_FALSE(with_file->created_key_file());
  ASSERT_EQ(get(*with_file).source(), DataSource::kOriginal);
  // Another Cache with only the file's key finds it under the same id: the file's key sealed it.
  auto file_only = open({file_key});
  EXPECT_EQ(file_only->id_of(Profile{}, request).value(),
            with_file->id_of(Profile{}, request).value());
  EXPECT_EQ(get(*file_only).source(), DataSource::kCache);
  // One with only the listed key does not.
  auto listed_only = open({listed});
  EXPECT_NE(listed_only->id_of(Profile{}, request).value(),
            with_file->id_of(Profile{}, request).value());
}

TEST_F(CacheOpenKeysTest, AKeyFileThatDoesNotOpenIsAnError) {
  Config config;
  config.store = Config::StoreKind::kCustom;
  config.custom_store = store;
  config.key_file = dir.path() + "/missing.key";
  config.log_level = LogLevel::kOff;
  EXPECT_FALSE(Cache::open(config));
}

TEST_F(CacheOpenKeysTest, PreviousKeysStillFindWhatTheySealed) {
  const DataKey old_key = DataKey::generate();
  const DataKey new_key = DataKey::generate();
  auto before = open({old_key});
  ASSERT_EQ(get(*before).source(), DataSource::kOriginal);
  auto after = open({new_key}, {old_key});
  EXPECT_EQ(get(*after).source(), DataSource::kCache);
  EXPECT_EQ(origin.calls, 1);
  auto without = open({new_key});
  EXPECT_EQ(get(*without).source(), DataSource::kOriginal);
}

TEST_F(CacheOpenKeysTest, PurgeRemovesTheEntryUnderEveryKey) {
  const DataKey old_key = DataKey::generate();
  const DataKey new_key = DataKey::generate();
  auto before = open({old_key});
  ASSERT_EQ(get(*before).source(), DataSource::kOriginal);
  auto after = open({new_key}, {old_key});
  ASSERT_EQ(get(*after).source(), DataSource::kCache);  // found under the old key's id
  ASSERT_TRUE(after->purge(Profile{}, request));
  EXPECT_EQ(get(*after).source(), DataSource::kOriginal);
  EXPECT_EQ(origin.calls, 2);
}

TEST_F(CacheOpenKeysTest, PurgeTakesTheEntryOutOfTheMemoryTierToo) {
  Config config;
  config.store = Config::StoreKind::kCustom;
  config.custom_store = store;
  config.keys = {DataKey::generate()};
  config.log_level = LogLevel::kOff;  // with the memory tier, as by default
  auto cache = Cache::open(config).value();
  ASSERT_EQ(get(*cache).source(), DataSource::kOriginal);
  ASSERT_EQ(get(*cache).source(), DataSource::kCacheMemory);
  ASSERT_TRUE(cache->purge(Profile{}, request));
  EXPECT_EQ(get(*cache).source(), DataSource::kOriginal);
}

TEST_F(CacheOpenKeysTest, PurgeReportsAStoreThatCouldNotErase) {
  auto faulty = std::make_shared<testing::FaultyStore>(store);
  Config config;
  config.store = Config::StoreKind::kCustom;
  config.custom_store = faulty;
  config.keys = {DataKey::generate()};
  config.log_level = LogLevel::kOff;
  auto cache = Cache::open(config).value();
  get(*cache);
  faulty->fail_writes = true;
  EXPECT_EQ(cache->purge(Profile{}, request).code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace cachedata
