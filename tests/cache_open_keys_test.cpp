// Cache::open's keys as a Config gives them: a key file (which seals and ids before config.keys),
// previous keys (which still open and find what they sealed), a key file that does not open, and
// Cache::purge, which removes an entry under every key the Cache holds; and Cache::open with
// parts the caller made (CacheParts: a store and a KeySource of its own). On the memory store.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <mutex>

#include "cachedata/cache.hpp"
#include "open/open_cache.hpp"
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
  Config config;
  config.store = Config::StoreKind::kCustom;
  config.custom_store = store;
  config.key_file = path;
  auto parts = wiring::open_cache_parts(config);
  ASSERT_TRUE(parts) << parts.status().to_string();
  EXPECT_EQ(wiring::key_file_of(*parts), path);
  EXPECT_FALSE(wiring::created_key_file(*parts));
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

// A key source of the test's own: it rotates when the test says so.
class RotatingKeySource final : public KeySource {
 public:
  DataKey current() const override {
    std::lock_guard lock(mu_);
    return key_;
  }
  uint64_t generation() const override { return generation_.load(); }
  std::string describe() const override { return "the test's keys"; }
  void rotate(DataKey next) {
    std::lock_guard lock(mu_);
    key_ = std::move(next);
    ++generation_;
  }

 private:
  mutable std::mutex mu_;
  DataKey key_ = DataKey::generate();
  std::atomic<uint64_t> generation_{1};
};

Config settings_only() {
  Config config;
  config.memory_max_bytes = 0;  // every get reads the store
  config.log_level = LogLevel::kOff;
  // Store and key fields a CacheParts caller does not use: they must not be read.
  config.store = Config::StoreKind::kAws;
  config.key_file = "/nonexistent/data.key";
  return config;
}

TEST_F(CacheOpenKeysTest, ACacheOnPartsUsesTheirStoreAndFollowsTheirKeySource) {
  auto keys = std::make_shared<RotatingKeySource>();
  auto opened = Cache::open(settings_only(), CacheParts{.store = store, .key_source = keys});
  ASSERT_TRUE(opened) << opened.status().to_string();
  Cache& cache = **opened;
  ASSERT_EQ(get(cache).source(), DataSource::kOriginal);
  EXPECT_EQ(store->list(10).value().size(), 1u) << "the entry went to the parts' store";
  const std::string first_id = cache.id_of(Profile{}, request).value();
  EXPECT_EQ(get(cache).source(), DataSource::kCache);

  keys->rotate(DataKey::generate());
  EXPECT_NE(cache.id_of(Profile{}, request).value(), first_id) << "the new key ids requests";
  // The entry sealed under the old key is still found and opened (and moved to the new id).
  EXPECT_EQ(get(cache).source(), DataSource::kCache);
  EXPECT_EQ(origin.calls, 1);
}

TEST_F(CacheOpenKeysTest, OlderKeysOfThePartsStillOpenWhatTheySealed) {
  const DataKey old_key = DataKey::generate();
  auto before = open({old_key});
  ASSERT_EQ(get(*before).source(), DataSource::kOriginal);
  auto after =
      Cache::open(settings_only(), CacheParts{.store = store,
                                              .key_source = fixed_key_source(DataKey::generate()),
                                              .older_keys = {old_key}});
  ASSERT_TRUE(after) << after.status().to_string();
  EXPECT_EQ(get(**after).source(), DataSource::kCache);
  EXPECT_EQ(origin.calls, 1);
}

TEST_F(CacheOpenKeysTest, PartsWithoutAKeySourceAreRefused) {
  auto opened = Cache::open(settings_only(), CacheParts{.store = store});
  EXPECT_EQ(opened.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(opened.status().message().find("key_source"), std::string::npos);
}

TEST_F(CacheOpenKeysTest, PartsWithoutAStoreAreTheMemoryTierAlone) {
  Config config = settings_only();
  config.memory_max_bytes = 1 << 20;
  auto opened =
      Cache::open(config, CacheParts{.key_source = fixed_key_source(DataKey::generate())});
  ASSERT_TRUE(opened) << opened.status().to_string();
  EXPECT_EQ(get(**opened).source(), DataSource::kOriginal);
  EXPECT_EQ(get(**opened).source(), DataSource::kCacheMemory);
}

TEST_F(CacheOpenKeysTest, ThePartsClockDecidesFreshnessOverTheConfigs) {
  auto now =
      std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
  Config config = settings_only();
  config.clock = [] { return std::chrono::system_clock::time_point{}; };  // 1970: never read
  CacheParts parts{.store = store, .key_source = fixed_key_source(DataKey::generate())};
  parts.clock = [now] { return *now; };
  auto opened = Cache::open(config, std::move(parts));
  ASSERT_TRUE(opened) << opened.status().to_string();
  Profile profile;
  profile.ttl = std::chrono::seconds(60);
  ASSERT_EQ((*opened)->get(profile, request, origin.fetcher()).source(), DataSource::kOriginal);
  *now += std::chrono::seconds(59);
  EXPECT_EQ((*opened)->get(profile, request, origin.fetcher()).source(), DataSource::kCache);
  *now += std::chrono::seconds(2);
  EXPECT_EQ((*opened)->get(profile, request, origin.fetcher()).source(),
            DataSource::kOriginalCacheExpired);
  EXPECT_EQ(origin.calls, 2);
}

TEST_F(CacheOpenKeysTest, ThePartsLogSinkGetsTheLinesAndTheConfigsDoesNot) {
  std::vector<std::string> parts_lines, config_lines;
  Config config = settings_only();
  config.log_level = LogLevel::kWarn;
  config.log_sink = [&](LogLevel, std::string_view m) { config_lines.emplace_back(m); };
  CacheParts parts{.store = store, .key_source = fixed_key_source(DataKey::generate())};
  parts.log_sink = [&](LogLevel, std::string_view m) { parts_lines.emplace_back(m); };
  auto opened = Cache::open(config, std::move(parts));
  ASSERT_TRUE(opened) << opened.status().to_string();
  Request bad =
      Request::get("ftp://api.example.com/");  // refused before any lookup, with a warning
  EXPECT_EQ((*opened)->get(Profile{}, bad, origin.fetcher()).source(), DataSource::kErrorOriginal);
  EXPECT_EQ(parts_lines.size(), 1u);
  EXPECT_TRUE(config_lines.empty());
}

TEST_F(CacheOpenKeysTest, TheObserverSeesEveryFinishedGetWithItsSource) {
  std::vector<DataSource> seen;
  CacheParts parts{.store = store, .key_source = fixed_key_source(DataKey::generate())};
  parts.observer = [&](const Request& r, const GetResult& result) {
    EXPECT_EQ(r.uri, request.uri);
    seen.push_back(result.source());
  };
  auto opened = Cache::open(settings_only(), std::move(parts));
  ASSERT_TRUE(opened) << opened.status().to_string();
  get(**opened);
  get(**opened);
  EXPECT_EQ(seen, (std::vector<DataSource>{DataSource::kOriginal, DataSource::kCache}));
}

TEST_F(CacheOpenKeysTest, TheObserverSeesABackgroundRefreshToo) {
  auto now =
      std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
  std::mutex mu;
  std::vector<DataSource> seen;
  CacheParts parts{.store = store, .key_source = fixed_key_source(DataKey::generate())};
  parts.clock = [now] { return *now; };
  parts.observer = [&](const Request&, const GetResult& result) {
    std::lock_guard lock(mu);
    seen.push_back(result.source());
  };
  auto opened = Cache::open(settings_only(), std::move(parts));
  ASSERT_TRUE(opened) << opened.status().to_string();
  Profile profile;
  profile.ttl = std::chrono::seconds(10);
  profile.stale_while_revalidate = std::chrono::seconds(60);
  (*opened)->get(profile, request, origin.fetcher());
  *now += std::chrono::seconds(11);  // expired, within the stale-while-revalidate window
  GetResult stale = (*opened)->get(profile, request, origin.fetcher());
  EXPECT_TRUE(stale.stale());
  (*opened)->wait_for_background_refreshes();
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<DataSource>{DataSource::kOriginal, DataSource::kCache,
                                           DataSource::kOriginalCacheExpired}));
}

TEST_F(CacheOpenKeysTest, AGetThatRunsOutOfMemoryIsAnInternalFailureNotACrash) {
  auto faulty = std::make_shared<testing::FaultyStore>(store);
  faulty->throw_on_read = true;
  auto opened =
      Cache::open(settings_only(),
                  CacheParts{.store = faulty, .key_source = fixed_key_source(DataKey::generate())});
  ASSERT_TRUE(opened) << opened.status().to_string();
  GetResult r = get(**opened);
  EXPECT_EQ(r.source(), DataSource::kErrorOriginal);
  EXPECT_FALSE(r.rejected()) << "not the caller's error";
  EXPECT_NE(r.error().find("internal failure"), std::string::npos) << r.error();
  EXPECT_EQ(r.headers().get(std::string(kDataSourceHeader)), "error:original");
}

TEST_F(CacheOpenKeysTest, AGetResultBuiltFromPartsReportsThem) {
  GetResult::Parts parts;
  parts.source = DataSource::kCache;
  parts.status_code = 203;
  parts.body = std::make_shared<const std::string>("b");
  parts.stale = true;
  parts.error = "e";
  GetResult result(std::move(parts));
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.status_code(), 203);
  EXPECT_EQ(result.body(), "b");
  EXPECT_TRUE(result.stale());
  EXPECT_EQ(result.error(), "e");
  EXPECT_EQ(GetResult().body(), "");
  EXPECT_FALSE(GetResult().ok());
}

// Both name the current key; which one was meant cannot be guessed.
TEST_F(CacheOpenKeysTest, AKeyFileAndAnSsmParameterTogetherAreRefused) {
  Config config;
  config.store = Config::StoreKind::kCustom;
  config.custom_store = store;
  config.key_file = write_key_file(DataKey::generate());
  config.data_key_param = "/app/key";
  auto opened = Cache::open(config);
  EXPECT_EQ(opened.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(opened.status().message().find("set one"), std::string::npos)
      << opened.status().to_string();
}

}  // namespace
}  // namespace cachedata
