// One origin call across processes (docs/DESIGN.md, "One origin call"), end to end with the real
// binary: 16 `cachedata get` processes on one --store DIR ask for one entry at once while the
// origin (tools/origin) takes 800 ms: one origin call, 16 identical bodies; the same once the
// entry has expired; the lease holder SIGKILLed mid-fetch: another process fetches after the
// lease has ended and nobody hangs. And 4 processes on one table of DynamoDB Local + s3rver
// asking for a hot entry over and over: at most one origin call per expiry.
//
// The origin's body for ?size=N is the same bytes on every call, so "identical bodies" holds
// for a stale answer and its refresh alike; the origin's hit counter tells the calls apart.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "cachedata/data_key.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_stack.hpp"
#include "support/cli_process.hpp"
#include "support/origin_process.hpp"
#include "support/test_support.hpp"

extern char** environ;

namespace cachedata::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int kProcesses = 16;

// A `cachedata` process started in the background: its pid, and its stdout in a file.
struct Spawned {
  pid_t pid = -1;
  std::string out_path;
};

Spawned spawn_cachedata(const std::vector<std::string>& args, const std::string& home,
                        const std::string& out_path) {
  std::vector<std::string> env_strings = clean_environment(home, {{"no_proxy", "127.0.0.1"}});
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {CACHEDATA_CLI_BIN};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  Spawned s;
  s.out_path = out_path;
  if (posix_spawn(&s.pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) s.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return s;
}

// Polls until `done` or `limit` passes.
template <typename Pred>
bool within(std::chrono::milliseconds limit, Pred done) {
  const auto end = SteadyClock::now() + limit;
  while (SteadyClock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

class ProcessesOnOneStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_ = OriginProcess::start({"--default-delay-ms", "0"});
    store_dir_ = dir_.path() + "/store";
    // The store and its key exist before the processes race for the entry.
    ProcessRun first = run_cachedata(
        {"get", origin_.url("/resource/warm-up"), "--store", store_dir_}, dir_.path());
    ASSERT_EQ(first.exit_code, 0) << first.describe();
  }

  std::vector<std::string> get_args(const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"get", url, "--store", store_dir_};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // `n` processes run `args` at once; their runs, in start order.
  std::vector<ProcessRun> run_at_once(int n, const std::vector<std::string>& args) {
    std::vector<std::future<ProcessRun>> runs;
    for (int i = 0; i < n; ++i) {
      runs.push_back(std::async(std::launch::async,
                                [&] { return run_cachedata(args, dir_.path(), {}, seconds(60)); }));
    }
    std::vector<ProcessRun> out;
    for (auto& r : runs) out.push_back(r.get());
    return out;
  }

  static void expect_identical_answers(const std::vector<ProcessRun>& runs, size_t body_size) {
    ASSERT_FALSE(runs.empty());
    for (const auto& run : runs) {
      EXPECT_EQ(run.exit_code, 0) << run.describe();
      EXPECT_EQ(run.out.size(), body_size);
      EXPECT_EQ(run.out, runs.front().out);
    }
  }

  TempDir dir_;
  OriginProcess origin_;
  std::string store_dir_;
};

TEST_F(ProcessesOnOneStoreTest, SixteenProcessesAskingForAMissingEntryMakeOneOriginCall) {
  const std::string url = origin_.url("/resource/hot?size=4096&delay_ms=800");
  auto runs = run_at_once(kProcesses, get_args(url));
  expect_identical_answers(runs, 4096);
  EXPECT_EQ(origin_.hits("/resource/hot"), 1);
}

TEST_F(ProcessesOnOneStoreTest, SixteenProcessesAskingForAnExpiredEntryMakeOneOriginCall) {
  const std::string url = origin_.url("/resource/hot?size=4096&delay_ms=800");
  auto args = get_args(url, {"--ttl", "1"});
  ASSERT_EQ(run_cachedata(args, dir_.path()).exit_code, 0);
  ASSERT_EQ(origin_.hits("/resource/hot"), 1);
  std::this_thread::sleep_for(milliseconds(2100));  // past the 1 s expiry, whatever the phase
  auto runs = run_at_once(kProcesses, args);
  expect_identical_answers(runs, 4096);
  EXPECT_EQ(origin_.hits("/resource/hot"), 2);
}

TEST_F(ProcessesOnOneStoreTest, AKilledLeaseHolderDelaysTheOthersOnlyUntilItsLeaseEnds) {
  const std::string url = origin_.url("/resource/held?size=1024&delay_ms=1500");
  auto args = get_args(url, {"--lease", "2"});
  const auto t0 = SteadyClock::now();
  Spawned holder = spawn_cachedata(args, dir_.path(), dir_.path() + "/holder.out");
  ASSERT_GT(holder.pid, 0);
  ASSERT_TRUE(within(seconds(20), [&] { return origin_.hits("/resource/held") == 1; }))
      << "the first process never called the origin";
  // The holder is in its origin call, with the lease: the others find it held.
  std::vector<std::future<ProcessRun>> others;
  for (int i = 0; i < 3; ++i) {
    others.push_back(std::async(std::launch::async,
                                [&] { return run_cachedata(args, dir_.path(), {}, seconds(30)); }));
  }
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_EQ(kill(holder.pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(holder.pid, &status, 0), holder.pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  std::vector<ProcessRun> runs;
  for (auto& o : others) runs.push_back(o.get());
  const auto took = SteadyClock::now() - t0;
  expect_identical_answers(runs, 1024);
  // The holder's call, then one call by the process that took the ended lease over.
  EXPECT_EQ(origin_.hits("/resource/held"), 2);
  // Lease (2 s) + one more origin call (1.5 s) + process starts; far from a hang.
  EXPECT_LT(took, seconds(15));
}

// --- the shared store: 4 processes, a hot entry, one origin call per expiry ---

TEST(ProcessesOnTheSharedStoreTest, FourProcessesMakeAtMostOneOriginCallPerExpiry) {
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kDynamoDb, dynamodb_endpoint);
  CACHEDATA_REQUIRE_AWS_TEST_SERVER(AwsTestServer::kS3, s3_endpoint);
  AwsTestStack stack(dynamodb_endpoint, s3_endpoint);
  Status created = stack.create();
  ASSERT_TRUE(created) << created.to_string();
  TempDir dir;
  const std::string key_file = dir.path() + "/data.key";
  write_file(key_file, DataKey::generate().to_hex() + "\n", 0600);
  OriginProcess origin = OriginProcess::start({"--default-delay-ms", "0"});
  const std::vector<std::string> args = {
      "get",        origin.url("/resource/shared-hot?size=2048&delay_ms=300"),
      "--store",    stack.store_uri(),
      "--key-file", key_file,
      "--ttl",      "3"};
  const std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", kTestAccessKeyId},
                                                  {"AWS_SECRET_ACCESS_KEY", kTestSecretAccessKey},
                                                  {"no_proxy", "127.0.0.1"}};
  // Each of 4 workers runs the CLI again and again for 7 s.
  const auto t0 = SteadyClock::now();
  const auto end = t0 + seconds(7);
  std::atomic<int> gets{0}, failed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (SteadyClock::now() < end) {
        ProcessRun run = run_cachedata(args, dir.path(), env, seconds(30));
        ++gets;
        if (run.exit_code != 0 || run.out.size() != 2048) {
          ++failed;
          ADD_FAILURE() << run.describe();
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  const double elapsed_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const int hits = origin.hits("/resource/shared-hot");
  EXPECT_EQ(failed, 0);
  EXPECT_GE(gets, 8) << "too few gets to say anything";
  // Expiry is in whole seconds, so a 3 s entry lives at least 2 s: at most one expiry per 2 s
  // of the run, plus the first miss.
  EXPECT_LE(hits, static_cast<int>(elapsed_s / 2.0) + 1)
      << gets << " gets in " << elapsed_s << " s";
  EXPECT_GE(hits, 1);
}

}  // namespace
}  // namespace cachedata::testing
