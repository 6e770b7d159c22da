// A store that is down never fails a get(): the source's answer is still returned, and the
// store error is counted and logged.
#include <gtest/gtest.h>

#include <mutex>

#include "cachedata/cache.hpp"
#include "store/memory_store.hpp"
#include "support/faulty_store.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

struct Fixture {
  testing::ManualClock clock;
  std::shared_ptr<testing::FaultyStore> store = std::make_shared<testing::FaultyStore>(
      std::shared_ptr<Store>(store::make_memory_store([this] { return clock.seconds(); })));
  testing::CountingFetcher origin;
  std::mutex log_mu;
  std::vector<std::string> log;
  std::unique_ptr<Cache> cache;

  explicit Fixture(uint64_t memory_bytes = 0) {
    Config config;
    config.store = Config::StoreKind::kCustom;
    config.custom_store = store;
    config.keys = {DataKey::generate()};
    config.clock = clock.fn();
    config.memory_max_bytes = memory_bytes;
    config.log_sink = [this](LogLevel, std::string_view m) {
      std::lock_guard lock(log_mu);
      log.emplace_back(m);
    };
    cache = Cache::open(config).value();
    origin.respond = [](const Request&, const Validators&) { return testing::ok_response("live"); };
  }
};

TEST(StoreOutageTest, ReadFailureFallsBackToTheSource) {
  Fixture f;
  f.store->fail_reads = true;
  Request r = Request::get("https://api.example.com/x");
  GetResult result = f.cache->get(Profile{}, r, f.origin.fetcher());
  EXPECT_EQ(result.source(), DataSource::kOriginal);
  EXPECT_EQ(result.body(), "live");
  EXPECT_EQ(f.cache->stats().store_read_errors, 1u);
  ASSERT_FALSE(f.log.empty());
  EXPECT_NE(f.log[0].find("store read failed"), std::string::npos);
}

TEST(StoreOutageTest, WriteFailureStillReturnsTheAnswer) {
  Fixture f;
  f.store->fail_writes = true;
  Request r = Request::get("https://api.example.com/x");
  GetResult result = f.cache->get(Profile{}, r, f.origin.fetcher());
  EXPECT_EQ(result.source(), DataSource::kOriginal);
  EXPECT_EQ(result.body(), "live");
  EXPECT_EQ(f.cache->stats().store_write_errors, 1u);
}

TEST(StoreOutageTest, MemoryTierKeepsServingWhileTheStoreIsDown) {
  Fixture f(1 << 20);
  Request r = Request::get("https://api.example.com/x");
  f.cache->get(Profile{}, r, f.origin.fetcher());
  f.store->fail_reads = true;
  f.store->fail_writes = true;
  EXPECT_EQ(f.cache->get(Profile{}, r, f.origin.fetcher()).source(), DataSource::kCacheMemory);
  EXPECT_EQ(f.origin.calls, 1);
}

TEST(StoreOutageTest, StoreRecoveryResumesCaching) {
  Fixture f;
  Request r = Request::get("https://api.example.com/x");
  f.store->fail_writes = true;
  f.cache->get(Profile{}, r, f.origin.fetcher());
  f.store->fail_writes = false;
  f.cache->get(Profile{}, r, f.origin.fetcher());
  EXPECT_EQ(f.cache->get(Profile{}, r, f.origin.fetcher()).source(), DataSource::kCache);
  EXPECT_EQ(f.origin.calls, 2);
}

TEST(StoreOutageTest, UnwritableLocalStoreDirectoryIsAClearError) {
  Config config;
  config.store_dir = "/proc/cachedata-cannot-live-here";
  config.keys = {DataKey::generate()};
  auto cache = Cache::open(config);
  ASSERT_FALSE(cache);
  EXPECT_NE(cache.status().message().find("/proc/cachedata-cannot-live-here"), std::string::npos)
      << cache.status().to_string();
}

}  // namespace
}  // namespace cachedata
