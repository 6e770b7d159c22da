// `cachedata get --paginate …` end to end: the real CLI binary, run as a child process against
// the real local origin (tools/origin), each test in its own store directory; stdout and stderr
// go to files, and the child's environment has no CACHE_DATA_* variable and HOME inside the
// test's directory, so nothing outside it is read or written.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/origin_process.hpp"
#include "support/test_support.hpp"

extern char** environ;

namespace cachedata::testing {
namespace {

using json = nlohmann::json;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string describe() const {
    return "exit " + std::to_string(exit_code) + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" +
           err;
  }
};

// Runs CACHEDATA_CLI_BIN with `args`, HOME=`home`, without CACHE_DATA_* variables.
CliRun run_cli(const std::vector<std::string>& args, const std::string& home) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    if (name.starts_with("CACHE_DATA_") || name == "HOME" || name == "XDG_CACHE_HOME") continue;
    env_strings.emplace_back(entry);
  }
  env_strings.push_back("HOME=" + home);
  env_strings.push_back("XDG_CACHE_HOME=" + home + "/xdg-cache");
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<std::string> argv_strings{CACHEDATA_CLI_BIN};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  const std::string out_file = home + "/cli.out";
  const std::string err_file = home + "/cli.err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int spawn_error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    throw std::runtime_error(std::string("cannot start the CLI: ") + std::strerror(spawn_error));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  CliRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = read_file(out_file);
  run.err = read_file(err_file);
  return run;
}

class CliPaginationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_ = OriginProcess::start({"--default-delay-ms", "0"});
    store_ = dir_.path() + "/store";
  }
  // `cachedata get URL --store <store_> -v` plus `extra`.
  CliRun get(const std::string& path, std::vector<std::string> extra) {
    std::vector<std::string> args{"get", origin_.url(path), "--store", store_, "-v"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args, dir_.path());
  }

  TempDir dir_;
  OriginProcess origin_;
  std::string store_;
};

bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

json ids(int first, int last) {
  json out = json::array();
  for (int i = first; i < last; ++i) out.push_back({{"id", i}});
  return out;
}

TEST_F(CliPaginationTest, CursorPagesAreOneEntryServedFromTheStoreNextTime) {
  CliRun miss = get("/pages/cursor?n=3&size=2", {"--paginate", "cursor"});
  ASSERT_EQ(miss.exit_code, 0) << miss.describe();
  EXPECT_EQ(json::parse(miss.out), json({{"items", ids(0, 6)}}));
  EXPECT_TRUE(has(miss.err, "status: original")) << miss.describe();
  EXPECT_EQ(origin_.hits("/pages/cursor"), 3);

  CliRun hit = get("/pages/cursor?n=3&size=2", {"--paginate", "cursor"});
  ASSERT_EQ(hit.exit_code, 0) << hit.describe();
  EXPECT_EQ(hit.out, miss.out);
  EXPECT_TRUE(has(hit.err, "status: cache")) << hit.describe();
  EXPECT_EQ(origin_.hits("/pages/cursor"), 3);
}

TEST_F(CliPaginationTest, LinkAndOffsetPagination) {
  CliRun link = get("/pages/link?n=3&size=1", {"--paginate", "link", "--items-pointer", ""});
  ASSERT_EQ(link.exit_code, 0) << link.describe();
  EXPECT_EQ(json::parse(link.out), ids(0, 3));
  EXPECT_EQ(origin_.hits("/pages/link"), 3);

  CliRun offset = get("/pages/offset?total=7",
                      {"--paginate", "offset", "--page-size", "3", "--limit-param", "limit"});
  ASSERT_EQ(offset.exit_code, 0) << offset.describe();
  EXPECT_EQ(json::parse(offset.out)["items"], ids(0, 7));
  EXPECT_EQ(origin_.hits("/pages/offset"), 3);  // 3 + 3 + 1
}

TEST_F(CliPaginationTest, FailingPageExitsOneWithAnErrorNamingThePage) {
  CliRun run = get("/pages/cursor?n=3&fail_page=2", {"--paginate", "cursor", "--timeout", "5"});
  EXPECT_EQ(run.exit_code, 1) << run.describe();
  EXPECT_TRUE(run.out.empty()) << run.describe();
  EXPECT_TRUE(has(run.err, "status: error:original")) << run.describe();
  EXPECT_TRUE(has(run.err, "pagination: page 2 of")) << run.describe();
}

TEST_F(CliPaginationTest, MaxPagesExceededIsAnErrorUnlessTruncationIsAllowed) {
  CliRun limited = get("/pages/cursor?n=4", {"--paginate", "cursor", "--max-pages", "2"});
  EXPECT_EQ(limited.exit_code, 1) << limited.describe();
  EXPECT_TRUE(has(limited.err, "more than pagination.max_pages = 2 pages")) << limited.describe();

  CliRun truncated = get("/pages/cursor?n=4&size=1",
                         {"--paginate", "cursor", "--max-pages", "2", "--allow-truncated"});
  ASSERT_EQ(truncated.exit_code, 0) << truncated.describe();
  EXPECT_EQ(json::parse(truncated.out)["items"], ids(0, 2));
}

TEST_F(CliPaginationTest, BadPaginationOptionsAreUsageErrors) {
  CliRun kind = get("/pages/cursor", {"--paginate", "pages"});
  EXPECT_EQ(kind.exit_code, 2) << kind.describe();
  CliRun pointer = get("/pages/cursor", {"--paginate", "cursor", "--items-pointer", "items"});
  EXPECT_EQ(pointer.exit_code, 2) << pointer.describe();
  EXPECT_TRUE(has(pointer.err, "pagination.items_pointer")) << pointer.describe();
  EXPECT_EQ(origin_.hits("/pages/cursor"), 0);
}

}  // namespace
}  // namespace cachedata::testing
