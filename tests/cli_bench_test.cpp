// `cachedata bench` (src/cli/bench/): its pure parts (the latency histogram's buckets and
// percentiles, the key chooser's hit ratio and Zipf law), and short end-to-end runs of the real
// binary on the memory and local stores, in threads and in processes, with the origin server it
// starts itself. (The shared store's run is in BENCHMARKS.md; the shared store's one-call
// behaviour under processes is tested in get_flow_processes_test.)
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <string>

#include "cli/bench/key_chooser.hpp"
#include "cli/bench/latency_histogram.hpp"
#include "support/cli_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::cli::bench {
namespace {

TEST(LatencyHistogramTest, EveryValueLandsInABucketWhoseEdgeIsWithinThreePercent) {
  for (uint64_t v : {0ull, 1ull, 63ull, 64ull, 65ull, 1000ull, 4095ull, 123456ull, 999999999ull,
                     (1ull << 40) - 1}) {
    const int b = LatencyHistogram::bucket_of(v);
    ASSERT_GE(b, 0);
    ASSERT_LT(b, LatencyHistogram::kBuckets);
    const uint64_t edge = LatencyHistogram::upper_edge(b);
    EXPECT_GE(edge, v) << v;
    EXPECT_LE(static_cast<double>(edge), static_cast<double>(v) * 1.032 + 1) << v;
    if (b > 0) {
      EXPECT_LT(LatencyHistogram::upper_edge(b - 1), v) << v;  // the right bucket
    }
  }
  EXPECT_EQ(LatencyHistogram::bucket_of(1ull << 50), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogramTest, PercentilesFollowTheRanks) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(0.5), 0u);
  for (uint64_t v = 1; v <= 1000; ++v) h.record(v * 1000);  // 1 µs .. 1 ms
  EXPECT_EQ(h.count(), 1000u);
  auto near = [](uint64_t got, double want) {
    return std::abs(static_cast<double>(got) - want) <= want * 0.032;
  };
  EXPECT_TRUE(near(h.percentile(0.50), 500'000)) << h.percentile(0.50);
  EXPECT_TRUE(near(h.percentile(0.99), 990'000)) << h.percentile(0.99);
  EXPECT_TRUE(near(h.percentile(0.999), 999'000)) << h.percentile(0.999);
  LatencyHistogram other;
  for (int i = 0; i < 1000; ++i) other.record(5'000'000);
  h.merge(other);
  EXPECT_EQ(h.count(), 2000u);
  EXPECT_TRUE(near(h.percentile(0.25), 500'000)) << h.percentile(0.25);
  EXPECT_TRUE(near(h.percentile(0.75), 5'000'000)) << h.percentile(0.75);
  LatencyHistogram copy;
  copy.set_counts(h.counts());
  EXPECT_EQ(copy.count(), 2000u);
  EXPECT_EQ(copy.percentile(0.99), h.percentile(0.99));
}

TEST(KeyChooserTest, TheHitRatioSplitsPopularFromFreshKeys) {
  const KeyChooser chooser(100, 0.0, 0.75);
  EXPECT_FALSE(chooser.choose(0.0, 0.5).fresh_key);
  EXPECT_FALSE(chooser.choose(0.7499, 0.5).fresh_key);
  EXPECT_TRUE(chooser.choose(0.75, 0.5).fresh_key);
  EXPECT_TRUE(KeyChooser(100, 0.0, 0.0).choose(0.0, 0.5).fresh_key);
  EXPECT_FALSE(KeyChooser(100, 0.0, 1.0).choose(0.9999, 0.5).fresh_key);
}

TEST(KeyChooserTest, UniformPopularityCoversEveryKeyEvenly) {
  const KeyChooser chooser(10, 0.0, 1.0);
  EXPECT_EQ(chooser.choose(0, 0.0).key, 0u);
  EXPECT_EQ(chooser.choose(0, 0.55).key, 5u);
  EXPECT_EQ(chooser.choose(0, 0.9999999).key, 9u);
}

TEST(KeyChooserTest, ZipfPopularityGivesRankKOneOverKToTheS) {
  const KeyChooser chooser(1000, 1.0, 1.0);
  std::map<uint64_t, int> seen;
  const int draws = 100'000;
  for (int i = 0; i < draws; ++i) {
    ++seen[chooser.choose(0, (static_cast<double>(i) + 0.5) / draws).key];
  }
  // H(1000) = 7.4855: rank 1 gets 1/H of the draws, rank 2 half of that, rank 10 a tenth.
  const double h = 7.4854708606;
  EXPECT_NEAR(seen[0], draws / h, draws * 0.002);
  EXPECT_NEAR(seen[1], draws / h / 2, draws * 0.002);
  EXPECT_NEAR(seen[9], draws / h / 10, draws * 0.002);
  EXPECT_LT(seen[999], seen[0] / 100);
}

// --- the command, end to end ---

nlohmann::json bench_json(const std::vector<std::string>& extra, const std::string& home) {
  std::vector<std::string> args = {"bench",  "--json", "--duration", "1",
                                   "--keys", "50",     "--size",     "512"};
  args.insert(args.end(), extra.begin(), extra.end());
  testing::ProcessRun run = testing::run_cachedata(
      args, home, {{"CACHEDATA_ORIGIN_BIN", CACHEDATA_ORIGIN_BIN}, {"no_proxy", "127.0.0.1"}});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  auto parsed = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(parsed.is_object()) << run.describe();
  return parsed.is_object() ? parsed : nlohmann::json::object();
}

TEST(CliBenchTest, AWarmRunOnTheMemoryStoreAnswersFromMemoryWithoutOriginCalls) {
  testing::TempDir home;
  auto r = bench_json({"--store", "memory", "--threads", "2"}, home.path());
  ASSERT_TRUE(r.contains("gets"));
  EXPECT_GT(r["gets"].get<uint64_t>(), 100u);
  EXPECT_EQ(r["memory_hits"].get<uint64_t>(), r["gets"].get<uint64_t>());
  EXPECT_EQ(r["origin_calls"].get<uint64_t>(), 0u);  // the warm-up fetched them all
  EXPECT_EQ(r["failed"].get<uint64_t>(), 0u);
  EXPECT_GT(r["p99_ns"].get<uint64_t>(), 0u);
  EXPECT_GE(r["p999_ns"].get<uint64_t>(), r["p99_ns"].get<uint64_t>());
  EXPECT_GT(r["peak_rss_kb"].get<uint64_t>(), 0u);
}

TEST(CliBenchTest, MissesCallTheOriginOncePerNewKey) {
  testing::TempDir home;
  auto r = bench_json({"--store", "memory", "--hit-ratio", "0.5", "--threads", "2"}, home.path());
  ASSERT_TRUE(r.contains("gets"));
  const auto gets = r["gets"].get<uint64_t>();
  const auto calls = r["origin_calls"].get<uint64_t>();
  EXPECT_EQ(r["failed"].get<uint64_t>(), 0u);
  // Every miss is one call, and about half the gets are misses.
  EXPECT_EQ(calls + r["memory_hits"].get<uint64_t>(), gets);
  EXPECT_GT(calls, gets * 4 / 10);
  EXPECT_LT(calls, gets * 6 / 10);
}

TEST(CliBenchTest, ProcessesOnTheLocalStoreShareItsEntries) {
  testing::TempDir home;
  auto r = bench_json({"--store", home.path() + "/store", "--processes", "2", "--threads", "1"},
                      home.path());
  ASSERT_TRUE(r.contains("gets"));
  EXPECT_EQ(r["processes"].get<int>(), 2);
  EXPECT_GT(r["gets"].get<uint64_t>(), 50u);
  EXPECT_EQ(r["failed"].get<uint64_t>(), 0u);
  EXPECT_EQ(r["origin_calls"].get<uint64_t>(), 0u);  // warm: both found every entry stored
}

TEST(CliBenchTest, AnOriginThatCannotBeStartedIsAClearError) {
  testing::TempDir home;
  testing::ProcessRun run =
      testing::run_cachedata({"bench", "--store", "memory", "--duration", "0.2"}, home.path(),
                             {{"CACHEDATA_ORIGIN_BIN", home.path() + "/no-such-origin"}});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("--origin URL"), std::string::npos) << run.describe();
}

}  // namespace
}  // namespace cachedata::cli::bench
