// 64 concurrent gets of one missing entry, against a source that takes 50 ms: how many calls
// reach the source, and how long the 64 gets take together (wall time from the first get's
// start to the last one's answer). Four ways, each round on a new entry:
//   one Cache, 64 threads                     single flight in the process
//   64 Caches on one local store, lease        as 64 processes on one store directory
//   64 Caches on one local store, no lease     refresh_lease 0: as every process did before
//   64 threads calling the source directly     the floor: no cache at all
// Usage: cachedata_concurrent_miss_bench [rounds (default 5)]; prints the median of the rounds.
// Build: scripts/build.sh release; run: build/release/bench/cachedata_concurrent_miss_bench.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "cachedata/cache.hpp"
#include "store/local_store.hpp"

namespace {

using namespace cachedata;
using SteadyClock = std::chrono::steady_clock;

constexpr int kGets = 64;
constexpr auto kSourceTime = std::chrono::milliseconds(50);

std::atomic<int> source_calls{0};

Response slow_source(const Request&, const Validators&) {
  ++source_calls;
  std::this_thread::sleep_for(kSourceTime);
  Response r;
  r.status_code = 200;
  r.body = std::string(1024, 'x');
  return r;
}

struct Round {
  int calls = 0;
  double wall_ms = 0;
};

// Runs `get(i)` on 64 threads started together.
template <typename Get>
Round run_round(Get get) {
  source_calls = 0;
  std::latch start(kGets + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kGets; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      get(i);
    });
  }
  start.arrive_and_wait();
  const auto t0 = SteadyClock::now();
  for (auto& t : threads) t.join();
  return Round{source_calls.load(),
               std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count()};
}

std::unique_ptr<Cache> open_on(const std::string& dir, const DataKey& key) {
  Config config;
  config.store_dir = dir;
  config.keys = {key};
  config.log_level = LogLevel::kOff;
  return Cache::open(config).value();
}

Round median(std::vector<Round> rounds) {
  std::sort(rounds.begin(), rounds.end(),
            [](const Round& a, const Round& b) { return a.wall_ms < b.wall_ms; });
  return rounds[rounds.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  std::string pattern =
      (std::filesystem::temp_directory_path() / "cachedata-miss-bench-XXXXXX").string();
  const std::string dir = ::mkdtemp(pattern.data());
  const DataKey key = DataKey::generate();
  Profile leased;
  Profile unleased;
  unleased.refresh_lease = std::chrono::milliseconds(0);
  const Fetcher fetcher = slow_source;
  int entry = 0;
  auto next_request = [&] {
    return Request::get("https://api.example.com/items/" + std::to_string(entry++));
  };

  std::vector<Round> in_process, leases, no_lease, bare;
  for (int r = 0; r < rounds; ++r) {
    {
      auto cache = open_on(dir, key);
      const Request request = next_request();
      in_process.push_back(run_round([&](int) { (void)cache->get(leased, request, fetcher); }));
    }
    for (auto* profile : {&leased, &unleased}) {
      std::vector<std::unique_ptr<Cache>> caches;
      for (int i = 0; i < kGets; ++i) caches.push_back(open_on(dir, key));
      const Request request = next_request();
      Round round = run_round(
          [&](int i) { (void)caches[static_cast<size_t>(i)]->get(*profile, request, fetcher); });
      (profile == &leased ? leases : no_lease).push_back(round);
    }
    const Request request = next_request();
    bare.push_back(run_round([&](int) { (void)slow_source(request, Validators{}); }));
  }
  std::filesystem::remove_all(dir);

  std::printf(
      "64 concurrent gets of one missing entry, source takes %lld ms, median of %d rounds\n",
      static_cast<long long>(kSourceTime.count()), rounds);
  std::printf("%-46s %12s %12s\n", "", "source calls", "wall ms");
  auto row = [](const char* name, const Round& r) {
    std::printf("%-46s %12d %12.1f\n", name, r.calls, r.wall_ms);
  };
  row("one Cache, 64 threads (single flight)", median(in_process));
  row("64 Caches on one local store, lease", median(leases));
  row("64 Caches on one local store, no lease", median(no_lease));
  row("64 threads calling the source (no cache)", median(bare));
  return 0;
}
