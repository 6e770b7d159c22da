// The shared store's DynamoDB server stops in the middle of a test: calls still answer with the
// origin's data within the store's deadline, and the store errors are counted. This test starts
// its own DynamoDB Local + s3rver pair (scripts/test-servers.sh with a private state directory),
// because it freezes (SIGSTOP) and then kills (SIGKILL) the DynamoDB process, which the suite's
// shared servers must survive. It needs what the suite's servers need (installed with
// scripts/install-test-servers.sh), so it runs where they run: skipped without them, failing
// under CI=true.
#include <signal.h>
#include <sys/types.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "cachedata/cache.hpp"
#include "support/aws_test_servers.hpp"
#include "support/aws_test_stack.hpp"
#include "support/cli_process.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

using std::chrono::milliseconds;

// KEY=VALUE lines of `scripts/test-servers.sh env`.
std::map<std::string, std::string> parse_env_lines(const std::string& text) {
  std::map<std::string, std::string> values;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    size_t eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
    at = end + 1;
  }
  return values;
}

class AwsDynamoDbOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Only where the suite's servers run: the same installation starts the private pair.
    CACHEDATA_REQUIRE_AWS_TEST_SERVER(testing::AwsTestServer::kDynamoDb, suite_endpoint);
    (void)suite_endpoint;
    servers_env_ = {{"CACHEDATA_TEST_SERVERS_DIR", dir_.path() + "/servers"}};
    testing::ProcessRun started = testing::run_program(script_, {"start"}, dir_.path(),
                                                       servers_env_, std::chrono::seconds(120));
    ASSERT_EQ(started.exit_code, 0) << started.describe();
    started_ = true;
    testing::ProcessRun env = testing::run_program(script_, {"env"}, dir_.path(), servers_env_);
    ASSERT_EQ(env.exit_code, 0) << env.describe();
    auto values = parse_env_lines(env.out);
    dynamodb_pid_ = static_cast<pid_t>(std::stol(values.at("CACHEDATA_TEST_DYNAMODB_PID")));
    stack_ = std::make_unique<testing::AwsTestStack>(values.at("CACHEDATA_TEST_DYNAMODB_ENDPOINT"),
                                                     values.at("CACHEDATA_TEST_S3_ENDPOINT"));
    Status created = stack_->create();
    ASSERT_TRUE(created) << created.to_string();
  }

  void TearDown() override {
    cache_.reset();
    if (dynamodb_pid_ > 0) ::kill(dynamodb_pid_, SIGCONT);  // a frozen process cannot stop
    if (started_) (void)testing::run_program(script_, {"stop"}, dir_.path(), servers_env_);
  }

  // The private DynamoDB Local is a JVM started a moment ago: its first calls are interpreted
  // and, on a loaded 2-core machine, can take longer than the 800 ms deadline under test (that
  // was this test's flake: a store error counted before the outage began). Its warm-up is
  // done with a generous deadline, through the same kinds of calls the test then makes.
  void warm_up_dynamodb() {
    Config config = stack_->config();
    config.keys = {DataKey::generate()};
    config.memory_max_bytes = 0;
    config.log_level = LogLevel::kOff;
    config.aws.timeout = std::chrono::seconds(30);
    auto warm = Cache::open(config);
    ASSERT_TRUE(warm) << warm.status().to_string();
    testing::CountingFetcher origin;
    origin.respond = [](const Request&, const Validators&) { return testing::ok_response("warm"); };
    for (int i = 0; i < 20; ++i) {
      GetResult r =
          (*warm)->get(Profile{}, Request::get("https://warm.example.com/" + std::to_string(i % 4)),
                       origin.fetcher());
      ASSERT_TRUE(r.ok()) << r.error();
    }
    ASSERT_EQ((*warm)->stats().store_read_errors, 0u);
  }

  void open_cache() {
    ASSERT_NO_FATAL_FAILURE(warm_up_dynamodb());
    Config config = stack_->config();
    config.keys = {DataKey::generate()};
    config.memory_max_bytes = 0;  // every get reads the store
    config.log_level = LogLevel::kOff;
    // The store's deadline per call (all attempts): what "within its deadline" is measured by.
    config.aws.timeout = kStoreDeadline;
    config.aws.connect_timeout = milliseconds(200);
    config.aws.max_attempts = 2;
    auto opened = Cache::open(config);
    ASSERT_TRUE(opened) << opened.status().to_string();
    cache_ = std::move(opened).value();
  }

  GetResult get(const std::string& path) {
    return cache_->get(Profile{}, Request::get("https://api.example.com" + path),
                       origin_.fetcher());
  }

  static constexpr milliseconds kStoreDeadline{800};
  const std::string script_ = std::string(CACHEDATA_SOURCE_DIR) + "/scripts/test-servers.sh";
  testing::TempDir dir_;
  std::map<std::string, std::string> servers_env_;
  bool started_ = false;
  pid_t dynamodb_pid_ = 0;
  std::unique_ptr<testing::AwsTestStack> stack_;
  std::unique_ptr<Cache> cache_;
  testing::CountingFetcher origin_;
};

TEST_F(AwsDynamoDbOutageTest, FrozenThenKilledDynamoDbStillAnswersFromTheOriginWithinTheDeadline) {
  origin_.respond = [](const Request& request, const Validators&) {
    return testing::ok_response("origin answer for " + request.uri);
  };
  ASSERT_NO_FATAL_FAILURE(open_cache());
  ASSERT_EQ(get("/a").source_name(), "original");
  ASSERT_EQ(get("/a").source_name(), "cache");  // the store works before the outage
  ASSERT_EQ(origin_.calls.load(), 1);
  // Errors are counted from here: only the outage's own.
  const CacheStats before = cache_->stats();

  // Frozen: connections are accepted by the kernel but nothing answers — the slow failure.
  ASSERT_EQ(::kill(dynamodb_pid_, SIGSTOP), 0);
  GetResult frozen = get("/a");
  EXPECT_EQ(frozen.source_name(), "original");
  EXPECT_EQ(frozen.body(), "origin answer for https://api.example.com/a");
  EXPECT_EQ(origin_.calls.load(), 2);
  // A read and a write, each bounded by the deadline, plus slack for a loaded 2-core machine.
  EXPECT_LT(frozen.elapsed(), 2 * kStoreDeadline + milliseconds(1000));
  EXPECT_EQ(cache_->stats().store_read_errors - before.store_read_errors, 1u);
  EXPECT_EQ(cache_->stats().store_write_errors - before.store_write_errors, 1u);

  // Killed: connections are refused — the fast failure.
  ASSERT_EQ(::kill(dynamodb_pid_, SIGKILL), 0);
  ASSERT_EQ(::kill(dynamodb_pid_, SIGCONT), 0);  // a stopped process dies only once continued
  dynamodb_pid_ = 0;
  GetResult killed = get("/b");
  EXPECT_EQ(killed.source_name(), "original");
  EXPECT_EQ(killed.body(), "origin answer for https://api.example.com/b");
  EXPECT_EQ(origin_.calls.load(), 3);
  EXPECT_LT(killed.elapsed(), 2 * kStoreDeadline + milliseconds(1000));
  EXPECT_GE(cache_->stats().store_read_errors - before.store_read_errors, 2u);
}

}  // namespace
}  // namespace cachedata
