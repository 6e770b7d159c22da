// A few seconds of everything at once on one Cache, from many threads: gets of 200 entries with a
// popular few, purges, a clock that moves so entries expire and are revalidated or refetched, an
// origin that fails now and then (stale answers), and a memory tier small enough to evict all
// the time. Every answer is checked against what the origin served for that very request: a body
// of another entry, or one the origin never sent, fails the test. Run in the ASan build and, as
// one of the concurrency tests, in the ThreadSanitizer build (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cachedata/cache.hpp"
#include "store/local_store.hpp"
#include "store/memory_store.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kKeys = 200;
constexpr int kGetters = 6;

// The origin: numbered answers per key, each remembered, an ETag per answer (so expired entries
// are revalidated too), and a failure now and then.
class RecordingOrigin {
 public:
  Response answer(const Request& request, const Validators& validators) {
    const std::string& path = request.uri;
    const int key = std::stoi(path.substr(path.rfind('/') + 1));
    std::lock_guard lock(mu_);
    ++calls_;
    if (calls_ % 17 == 0) return Response::failure("planned failure");
    int& version = versions_[key];
    if (!validators.etag.empty() && calls_ % 3 == 0 &&
        validators.etag == "\"" + std::to_string(key) + "-" + std::to_string(version) + "\"") {
      Response not_modified;
      not_modified.status_code = 304;
      return not_modified;
    }
    ++version;
    // Sizes vary so the memory tier's bound is met at different points.
    std::string body = "key " + std::to_string(key) + " version " + std::to_string(version) + " ";
    body.resize(body.size() + static_cast<size_t>((key * 37 + version * 11) % 900), '.');
    served_[key].insert(body);
    return ok_response(
        body, {{"ETag", "\"" + std::to_string(key) + "-" + std::to_string(version) + "\""}});
  }
  bool served(int key, const std::string& body) {
    std::lock_guard lock(mu_);
    auto it = served_.find(key);
    return it != served_.end() && it->second.count(body) != 0;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  int calls_ = 0;
  std::map<int, int> versions_;
  std::map<int, std::set<std::string>> served_;
};

Request request_for(int key) {
  return Request::get("https://api.example.com/items/" + std::to_string(key));
}

enum class StressStore { kMemory, kLocal };

class GetFlowStressTest : public ::testing::TestWithParam<StressStore> {};

TEST_P(GetFlowStressTest, EveryAnswerIsOneTheOriginServedForThatRequest) {
  TempDir dir;
  ManualClock clock;
  std::shared_ptr<Store> store;
  if (GetParam() == StressStore::kMemory) {
    store = store::make_memory_store([&] { return clock.seconds(); });
  } else {
    store::LocalStoreOptions options;
    options.dir = dir.path() + "/store";
    options.now_seconds = [&] { return clock.seconds(); };
    options.max_bytes = 96 << 10;  // evicts too
    store = store::open_local_store(options).value();
  }
  Config config;
  config.memory_max_bytes = 32 << 10;  // a few dozen entries: evicting all the time
  config.log_level = LogLevel::kOff;
  auto cache = Cache::open(config, CacheParts{.store = store,
                                              .key_source = fixed_key_source(DataKey::generate()),
                                              .clock = clock.fn()})
                   .value();
  Profile profile;
  profile.ttl = seconds(5);
  profile.stale_on_error = seconds(2);
  profile.negative_ttl = seconds(1);

  RecordingOrigin origin;
  Fetcher fetcher = [&](const Request& r, const Validators& v) { return origin.answer(r, v); };
  std::atomic<bool> stop{false};
  std::atomic<int> gets{0}, answers{0}, wrong{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;

  auto getter = [&](unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> any_key(0, kKeys - 1);
    std::uniform_int_distribution<int> hot_key(0, 4);
    std::bernoulli_distribution hot(0.5);
    while (!stop) {
      const int key = hot(rng) ? hot_key(rng) : any_key(rng);
      GetResult r = cache->get(profile, request_for(key), fetcher);
      ++gets;
      if (!r.ok()) continue;  // a failure with nothing to serve
      ++answers;
      if (!origin.served(key, r.body())) {
        ++wrong;
        std::lock_guard lock(failures_mu);
        if (failures.size() < 5) {
          failures.push_back("key " + std::to_string(key) + " answered \"" +
                             r.body().substr(0, 40) + "\" (" + std::string(r.source_name()) + ")");
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kGetters; ++i) threads.emplace_back(getter, 1000u + static_cast<unsigned>(i));
  threads.emplace_back([&] {  // purges
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> any_key(0, kKeys - 1);
    while (!stop) {
      (void)cache->purge(profile, request_for(any_key(rng)));
      std::this_thread::sleep_for(milliseconds(2));
    }
  });
  threads.emplace_back([&] {  // time: entries expire every few hundred milliseconds
    while (!stop) {
      std::this_thread::sleep_for(milliseconds(50));
      clock.advance(seconds(1));
    }
  });
  std::this_thread::sleep_for(seconds(3));
  stop = true;
  for (auto& t : threads) t.join();

  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(gets, 1000) << "too few gets to have mixed anything";
  EXPECT_GT(answers, gets / 2);
  const CacheStats stats = cache->stats();
  // The mix happened: hits, calls, revalidations, stale answers.
  EXPECT_GT(stats.memory_hits + stats.store_hits, 0u);
  EXPECT_GT(stats.fetches, static_cast<uint64_t>(kKeys / 2));
  EXPECT_GT(stats.not_modified, 0u);
  EXPECT_GT(stats.stale_served, 0u);
  EXPECT_EQ(stats.fetches, static_cast<uint64_t>(origin.calls()));
  EXPECT_EQ(stats.corrupt_entries, 0u);
}

INSTANTIATE_TEST_SUITE_P(Stores, GetFlowStressTest,
                         ::testing::Values(StressStore::kMemory, StressStore::kLocal),
                         [](const auto& param_info) {
                           return param_info.param == StressStore::kMemory ? "Memory" : "Local";
                         });

}  // namespace
}  // namespace cachedata::testing
