// `cachedata get` options of the HTTP fetcher and of stale-while-revalidate, end to end: the real
// CLI binary (tests/support/cli_process) against the real local origin (tools/origin), each test
// in its own store directory, asserting stdout, the -v fields, the exit code and how many calls
// reached the origin.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/cli_process.hpp"
#include "support/origin_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

// The value of a "name: value" line of -v's stderr, if there is one.
std::optional<std::string> field(const ProcessRun& run, const std::string& name) {
  const std::string prefix = name + ": ";
  size_t at = 0;
  while (at < run.err.size()) {
    size_t end = run.err.find('\n', at);
    if (end == std::string::npos) end = run.err.size();
    if (run.err.compare(at, prefix.size(), prefix) == 0) {
      return run.err.substr(at + prefix.size(), end - at - prefix.size());
    }
    at = end + 1;
  }
  return std::nullopt;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class CliGetOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_ = OriginProcess::start({"--default-delay-ms", "0"});
    store_ = dir_.path() + "/store";
  }
  // `cachedata get URL --store <store_> -v` plus `extra`.
  ProcessRun get(const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"get", url, "--store", store_, "-v"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cachedata(args, dir_.path());
  }

  TempDir dir_;
  OriginProcess origin_;
  std::string store_;
};

TEST_F(CliGetOptionsTest, StaleWhileRevalidateAnswersStaleAtOnceAndRefreshesBeforeExiting) {
  // The origin says max-age=4 and nothing about stale-while-revalidate: the flag supplies it.
  // (4 s, not 1: the third process must start while the refreshed answer is fresh, on a loaded
  // machine too.)
  const std::string url = origin_.url("/resource/swr?cache_control=max-age%3D4");
  const std::vector<std::string> swr{"--stale-while-revalidate", "60"};
  ProcessRun first = get(url, swr);
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  EXPECT_EQ(field(first, "status"), "original") << first.describe();
  EXPECT_EQ(field(first, "stale"), "no");
  std::this_thread::sleep_for(std::chrono::milliseconds(5100));

  ProcessRun stale = get(url, swr);
  ASSERT_EQ(stale.exit_code, 0) << stale.describe();
  EXPECT_EQ(field(stale, "status"), "cache") << stale.describe();
  EXPECT_EQ(field(stale, "stale"), "yes") << stale.describe();
  EXPECT_EQ(stale.out, first.out);
  // The refresh ran in the background of that process, and finished before it exited.
  EXPECT_EQ(origin_.hits("/resource/swr"), 2);

  ProcessRun fresh = get(url, swr);
  EXPECT_EQ(field(fresh, "status"), "cache") << fresh.describe();
  EXPECT_EQ(field(fresh, "stale"), "no") << fresh.describe();
  EXPECT_TRUE(contains(fresh.out, "\"hit\":2")) << fresh.out;
  EXPECT_EQ(origin_.hits("/resource/swr"), 2);
}

TEST_F(CliGetOptionsTest, WithoutStaleWhileRevalidateAnExpiredEntryIsFetchedBeforeAnswering) {
  const std::string url = origin_.url("/resource/noswr?cache_control=max-age%3D1");
  ASSERT_EQ(get(url).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ProcessRun second = get(url);
  EXPECT_EQ(field(second, "status"), "original:cache-expired") << second.describe();
  EXPECT_EQ(field(second, "stale"), "no");
  EXPECT_TRUE(contains(second.out, "\"hit\":2")) << second.out;
  EXPECT_EQ(origin_.hits("/resource/noswr"), 2);
}

TEST_F(CliGetOptionsTest, AttemptsOneDoesNotRetryAFailingOrigin) {
  ProcessRun once = get(origin_.url("/fail-then-ok/once?n=1"), {"--attempts", "1"});
  EXPECT_EQ(once.exit_code, 1) << once.describe();
  EXPECT_EQ(field(once, "status"), "error:original") << once.describe();
  EXPECT_EQ(origin_.hits("/fail-then-ok/once"), 1);

  // The default (3 attempts) retries the 503 and gets the answer.
  ProcessRun retried = get(origin_.url("/fail-then-ok/retried?n=1"));
  EXPECT_EQ(retried.exit_code, 0) << retried.describe();
  EXPECT_EQ(field(retried, "http-status"), "200") << retried.describe();
  EXPECT_EQ(origin_.hits("/fail-then-ok/retried"), 2);
}

TEST_F(CliGetOptionsTest, NoFollowAnswersTheRedirectItself) {
  ProcessRun run = get(origin_.url("/redirect/1?code=307"), {"--no-follow"});
  EXPECT_EQ(field(run, "http-status"), "307") << run.describe();
  EXPECT_EQ(origin_.hits("/redirect/1"), 1);
  EXPECT_EQ(origin_.hits("/echo"), 0);
}

TEST_F(CliGetOptionsTest, ChainLongerThanMaxRedirectsIsAnErrorThatSaysSo) {
  ProcessRun over = get(origin_.url("/redirect/3?to=/resource/end"), {"--max-redirects", "2"});
  EXPECT_EQ(over.exit_code, 1) << over.describe();
  EXPECT_EQ(field(over, "status"), "error:original") << over.describe();
  EXPECT_TRUE(contains(over.err, "too many redirects")) << over.describe();
  EXPECT_EQ(origin_.hits("/resource/end"), 0);

  // The failure is remembered for the profile's negative TTL (10 s): forcing a refresh with a
  // longer chain allowed follows it to the end.
  ProcessRun within =
      get(origin_.url("/redirect/3?to=/resource/end"), {"--max-redirects", "3", "--force-refresh"});
  EXPECT_EQ(within.exit_code, 0) << within.describe();
  EXPECT_EQ(field(within, "http-status"), "200") << within.describe();
  EXPECT_EQ(origin_.hits("/resource/end"), 1);
}

TEST_F(CliGetOptionsTest, BodyOverMaxBodyIsAnErrorAndIsNotCached) {
  const std::string url = origin_.url("/large?size=4096");
  ProcessRun over = get(url, {"--max-body", "1K"});
  EXPECT_EQ(over.exit_code, 1) << over.describe();
  EXPECT_EQ(over.out, "");
  EXPECT_TRUE(contains(over.err, "1024")) << over.describe();  // the error names the limit

  // Only the failure is remembered, for the negative TTL (10 s), so the origin is not asked
  // again at once; the body itself was never stored.
  ProcessRun remembered = get(url, {"--max-body", "1K"});
  EXPECT_EQ(remembered.exit_code, 1) << remembered.describe();
  EXPECT_EQ(remembered.out, "");
  EXPECT_EQ(origin_.hits("/large"), 1);
  ProcessRun fits = get(url, {"--max-body", "4K", "--force-refresh"});
  EXPECT_EQ(fits.exit_code, 0) << fits.describe();
  EXPECT_EQ(fits.out.size(), 4096u);
  EXPECT_EQ(origin_.hits("/large"), 2);
}

TEST_F(CliGetOptionsTest, MalformedMaxBodyIsAUsageErrorNamingTheFlag) {
  for (const char* bad : {"12X", "", "-1", "0"}) {
    ProcessRun run = get(origin_.url("/resource/never"), {"--max-body", bad});
    EXPECT_EQ(run.exit_code, 2) << bad << "\n" << run.describe();
    EXPECT_TRUE(contains(run.err, "--max-body")) << run.describe();
  }
  EXPECT_EQ(origin_.hits("/resource/never"), 0);
}

}  // namespace
}  // namespace cachedata::testing
