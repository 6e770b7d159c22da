// `cachedata storage config` on a terminal: the binary runs on a pseudo-terminal (forkpty), so
// stdin is a TTY and it asks for each parameter. The test answers like a user: Enter for the
// defaults, a bad value (then sees the rule and the same question again), Ctrl-D.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "support/cli_process.hpp"
#include "support/test_support.hpp"

namespace cachedata::testing {
namespace {

// The binary on a pseudo-terminal, with expect/send in the manner of expect(1).
class Terminal {
 public:
  Terminal(const std::vector<std::string>& args, const std::string& home) {
    std::vector<std::string> env = clean_environment(home, {{"TERM", "dumb"}});
    std::vector<std::string> words{CACHEDATA_CLI_BIN};
    words.insert(words.end(), args.begin(), args.end());
    // Built before the fork: the child only calls execve.
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && exit_code_ < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  bool started() const { return pid_ > 0; }

  // Reads until `text` appears after what earlier calls consumed; false after 30 s or at the end.
  bool expect(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      const size_t at = screen_.find(text, consumed_);
      if (at != std::string::npos) {
        consumed_ = at + text.size();
        return true;
      }
      if (!read_some(deadline)) return false;
    }
  }
  void send(const std::string& text) {
    ASSERT_EQ(write(fd_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  // Reads to the end and returns the exit status.
  int wait_exit() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (read_some(deadline)) {
    }
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }
  const std::string& screen() const { return screen_; }

 private:
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) return false;  // EIO: the child closed the terminal
    screen_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  int exit_code_ = -1;
  std::string screen_;
  size_t consumed_ = 0;
};

std::string config_file(const TempDir& dir) {
  return dir.path() + "/samconfigs/acme/cache-data/samconfig-acme-cache-data-storage.toml";
}

std::vector<std::string> config_args(const TempDir& dir) {
  return {"storage", "config", "acme", "--dir", dir.path()};
}

TEST(StorageConfigInteractive, EnterAcceptsEveryDefault) {
  TempDir dir;
  Terminal t(config_args(dir), dir.path());
  ASSERT_TRUE(t.started());
  for (const char* prompt :
       {"S3BucketNameOrgPrefix []: ", "CacheDataPurgeAgeOfCachedBucketObjInDays [15]: ",
        "EnablePointInTimeRecovery [FALSE]: ", "CreateManagedLambdaExecutionRolePolicy [TRUE]: ",
        "RolePath [/]: ", "region []: "}) {
    ASSERT_TRUE(t.expect(prompt)) << prompt << "\n" << t.screen();
    t.send("\n");
  }
  ASSERT_EQ(t.wait_exit(), 0) << t.screen();
  const std::string text = read_file(config_file(dir));
  EXPECT_NE(text.find("parameter_overrides = \"Prefix=\\\"acme\\\" ProjectId=\\\"cache-data\\\" "
                      "S3BucketNameOrgPrefix=\\\"\\\" "
                      "CacheDataPurgeAgeOfCachedBucketObjInDays=\\\"15\\\" "
                      "EnablePointInTimeRecovery=\\\"FALSE\\\" "
                      "CreateManagedLambdaExecutionRolePolicy=\\\"TRUE\\\" RolePath=\\\"/\\\"\"\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("region ="), std::string::npos) << text;
}

TEST(StorageConfigInteractive, BadValueIsAskedAgainWithTheRule) {
  TempDir dir;
  Terminal t(config_args(dir), dir.path());
  ASSERT_TRUE(t.started());
  ASSERT_TRUE(t.expect("S3BucketNameOrgPrefix []: ")) << t.screen();
  t.send(std::string(21, 'o') + "\n");  // breaks the pattern
  ASSERT_TRUE(t.expect("S3BucketNameOrgPrefix \"" + std::string(21, 'o') + "\" breaks the rule"))
      << t.screen();
  ASSERT_TRUE(t.expect("S3BucketNameOrgPrefix []: ")) << t.screen();
  t.send(std::string(20, 'o') + "\n");  // fits the pattern, but not the bucket name with acme
  ASSERT_TRUE(t.expect("over S3's limit of 63")) << t.screen();
  ASSERT_TRUE(t.expect("S3BucketNameOrgPrefix []: ")) << t.screen();
  t.send("example-org\n");
  ASSERT_TRUE(t.expect("CacheDataPurgeAgeOfCachedBucketObjInDays [15]: ")) << t.screen();
  t.send("2\n");
  ASSERT_TRUE(t.expect("\"2\" breaks the rule a whole number of days, 3 or more")) << t.screen();
  ASSERT_TRUE(t.expect("CacheDataPurgeAgeOfCachedBucketObjInDays [15]: ")) << t.screen();
  t.send("30\n");
  ASSERT_TRUE(t.expect("EnablePointInTimeRecovery [FALSE]: ")) << t.screen();
  t.send("true\n");
  ASSERT_TRUE(t.expect("TRUE or FALSE")) << t.screen();
  ASSERT_TRUE(t.expect("EnablePointInTimeRecovery [FALSE]: ")) << t.screen();
  t.send("TRUE\n");
  ASSERT_TRUE(t.expect("CreateManagedLambdaExecutionRolePolicy [TRUE]: ")) << t.screen();
  t.send("\n");
  ASSERT_TRUE(t.expect("RolePath [/]: ")) << t.screen();
  t.send("/cache/\n");
  ASSERT_TRUE(t.expect("region []: ")) << t.screen();
  t.send("moon-1\n");
  ASSERT_TRUE(t.expect("region \"moon-1\" breaks the rule")) << t.screen();
  ASSERT_TRUE(t.expect("region []: ")) << t.screen();
  t.send("eu-central-1\n");
  ASSERT_EQ(t.wait_exit(), 0) << t.screen();
  const std::string text = read_file(config_file(dir));
  EXPECT_NE(text.find("S3BucketNameOrgPrefix=\\\"example-org\\\" "
                      "CacheDataPurgeAgeOfCachedBucketObjInDays=\\\"30\\\" "
                      "EnablePointInTimeRecovery=\\\"TRUE\\\" "
                      "CreateManagedLambdaExecutionRolePolicy=\\\"TRUE\\\" "
                      "RolePath=\\\"/cache/\\\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("region = \"eu-central-1\"\n"), std::string::npos) << text;
}

TEST(StorageConfigInteractive, RerunOffersTheFileValuesAndSkipsGivenParams) {
  TempDir dir;
  ProcessRun first = run_cachedata({"storage", "config", "acme", "--dir", dir.path(), "--param",
                                    "CacheDataPurgeAgeOfCachedBucketObjInDays=7", "--param",
                                    "S3BucketNameOrgPrefix=example-org", "--region", "us-west-2"},
                                   dir.path());
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  std::vector<std::string> args = config_args(dir);
  args.insert(args.end(), {"--param", "RolePath=/given/"});
  Terminal t(args, dir.path());
  ASSERT_TRUE(t.started());
  ASSERT_TRUE(t.expect("S3BucketNameOrgPrefix [example-org]: ")) << t.screen();
  t.send("-\n");  // "-" clears an optional value
  ASSERT_TRUE(t.expect("CacheDataPurgeAgeOfCachedBucketObjInDays [7]: ")) << t.screen();
  t.send("\n");
  ASSERT_TRUE(t.expect("EnablePointInTimeRecovery [FALSE]: ")) << t.screen();
  t.send("\n");
  ASSERT_TRUE(t.expect("CreateManagedLambdaExecutionRolePolicy [TRUE]: ")) << t.screen();
  t.send("FALSE\n");
  ASSERT_TRUE(t.expect("region [us-west-2]: ")) << t.screen();
  t.send("\n");
  ASSERT_EQ(t.wait_exit(), 0) << t.screen();
  EXPECT_EQ(t.screen().find("RolePath ["), std::string::npos) << "given with --param: not asked";
  const std::string text = read_file(config_file(dir));
  EXPECT_NE(text.find("S3BucketNameOrgPrefix=\\\"\\\" CacheDataPurgeAgeOfCachedBucketObjInDays="
                      "\\\"7\\\" EnablePointInTimeRecovery=\\\"FALSE\\\" "
                      "CreateManagedLambdaExecutionRolePolicy=\\\"FALSE\\\" "
                      "RolePath=\\\"/given/\\\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("region = \"us-west-2\"\n"), std::string::npos) << text;
}

TEST(StorageConfigInteractive, InputEndingBeforeTheLastAnswerWritesNothing) {
  TempDir dir;
  Terminal t(config_args(dir), dir.path());
  ASSERT_TRUE(t.started());
  ASSERT_TRUE(t.expect("S3BucketNameOrgPrefix []: ")) << t.screen();
  t.send("\x04");  // Ctrl-D at the start of a line: end of input
  EXPECT_EQ(t.wait_exit(), 2) << t.screen();
  EXPECT_NE(t.screen().find("the input ended before S3BucketNameOrgPrefix was answered"),
            std::string::npos)
      << t.screen();
  EXPECT_NE(access(config_file(dir).c_str(), F_OK), 0);
}

TEST(StorageConfigInteractive, NoPromptOnATerminalAsksNothing) {
  TempDir dir;
  std::vector<std::string> args = config_args(dir);
  args.push_back("--no-prompt");
  Terminal t(args, dir.path());
  ASSERT_TRUE(t.started());
  ASSERT_EQ(t.wait_exit(), 0) << t.screen();
  EXPECT_EQ(t.screen().find("[15]"), std::string::npos) << t.screen();
  EXPECT_EQ(access(config_file(dir).c_str(), F_OK), 0);
}

}  // namespace
}  // namespace cachedata::testing
