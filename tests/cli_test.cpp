// End-to-end tests of the `cachedata` command-line tool (src/cli): the real binary, run as a child
// process against the real local origin (tools/origin), each test in its own store directory.
// stdout, stderr and the exit status are captured separately, and the child gets a clean
// environment (tests/support/cli_process: no CACHE_DATA_* or AWS_* variables, HOME and
// XDG_CACHE_HOME inside the test's directory) so that nothing outside it is read or written.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support/cli_process.hpp"
#include "support/origin_process.hpp"
#include "support/test_support.hpp"

extern char** environ;

namespace cachedata::testing {
namespace {

using std::chrono::seconds;

// What one run of the CLI produced (tests/support/cli_process: the shared runner), with a reader
// of the `-v` report's fields.
struct CliRun : ProcessRun {
  // The value of the first stderr line "<name>: <value>", if any.
  std::optional<std::string> field(const std::string& name) const {
    std::istringstream lines(err);
    std::string line;
    const std::string prefix = name + ": ";
    while (std::getline(lines, line)) {
      if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    }
    return std::nullopt;
  }
};

using Env = std::map<std::string, std::string>;

// Runs CACHEDATA_CLI_BIN with `args` in a clean environment (no CACHE_DATA_* or AWS_* variable,
// HOME and XDG_CACHE_HOME under `home`), then `env` on top.
CliRun run_cli(const std::vector<std::string>& args, const std::string& home, const Env& env = {},
               std::chrono::seconds timeout = seconds(120)) {
  return CliRun{run_cachedata(args, home, env, timeout)};
}

// A TCP port on 127.0.0.1 that nothing listens on: bound, then closed.
int closed_local_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("bind failed");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC) to unix seconds; nullopt for anything else.
std::optional<int64_t> parse_iso8601(const std::string& text) {
  static constexpr std::string_view kForm = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kForm.size()) return std::nullopt;
  for (size_t i = 0; i < kForm.size(); ++i) {
    const bool ok = kForm[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == kForm[i];
    if (!ok) return std::nullopt;
  }
  auto number = [&](size_t at, size_t len) { return std::stoi(text.substr(at, len)); };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(5, 2) - 1;
  tm.tm_mday = number(8, 2);
  tm.tm_hour = number(11, 2);
  tm.tm_min = number(14, 2);
  tm.tm_sec = number(17, 2);
  return static_cast<int64_t>(timegm(&tm));
}

bool all_of_chars(std::string_view s, std::string_view allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == std::string_view::npos;
}

// The white-space separated words of `line`.
std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

int64_t unix_now() {
  return std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A marker that the origin puts in the body, so a test can tell whether a body was printed.
constexpr const char* kMarker = "BODYMARKER7f3a";

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_ = OriginProcess::start({"--default-delay-ms", "0"});
    store_ = dir_.path() + "/store";
  }

  // Runs the CLI with HOME inside the test's directory.
  CliRun cli(const std::vector<std::string>& args, const Env& env = {}) {
    return run_cli(args, dir_.path(), env);
  }
  // `cachedata get URL --store <store_> -v` plus `extra`.
  CliRun get(const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"get", url, "--store", store_, "-v"};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli(args);
  }
  std::string resource_url(const std::string& name, const std::string& query = "") {
    return origin_.url("/resource/" + name + "?marker=" + kMarker + (query.empty() ? "" : "&") +
                       query);
  }

  TempDir dir_;
  OriginProcess origin_;
  std::string store_;
};

// ---- get ----------------------------------------------------------------------------------------

TEST_F(CliTest, GetMissThenHitPrintsTheBodyAndReportsOriginalThenCache) {
  const std::string url = resource_url("items", "size=5000");

  CliRun miss = get(url);
  ASSERT_EQ(miss.exit_code, 0) << miss.describe();
  CliRun hit = get(url);
  ASSERT_EQ(hit.exit_code, 0) << hit.describe();

  // stdout is the body, byte for byte, both times (the same bytes the origin sends directly).
  HttpReply direct =
      http_request("GET", origin_.url("/resource/direct?size=5000&marker=") + kMarker);
  ASSERT_EQ(direct.status, 200) << direct.error;
  ASSERT_EQ(direct.body.size(), 5000u);
  EXPECT_EQ(miss.out, direct.body);
  EXPECT_EQ(hit.out, direct.body);

  EXPECT_EQ(miss.field("status"), "original") << miss.describe();
  EXPECT_EQ(hit.field("status"), "cache") << hit.describe();
  EXPECT_EQ(miss.field("http-status"), "200");
  EXPECT_EQ(hit.field("http-status"), "200");
  EXPECT_EQ(origin_.hits("/resource/items"), 1);

  // expires: ISO-8601 UTC, about the default TTL (300 s) from now, the same on the hit.
  ASSERT_TRUE(miss.field("expires").has_value()) << miss.describe();
  const std::optional<int64_t> expires = parse_iso8601(*miss.field("expires"));
  ASSERT_TRUE(expires.has_value()) << "not YYYY-MM-DDTHH:MM:SSZ: " << *miss.field("expires");
  EXPECT_GT(*expires, unix_now() + 200);
  EXPECT_LE(*expires, unix_now() + 301);
  EXPECT_EQ(hit.field("expires"), miss.field("expires"));

  // time: a whole number of milliseconds.
  for (const CliRun* run : {&miss, &hit}) {
    ASSERT_TRUE(run->field("time").has_value()) << run->describe();
    const std::string time = *run->field("time");
    ASSERT_GT(time.size(), 3u) << time;
    EXPECT_EQ(time.substr(time.size() - 3), " ms") << time;
    EXPECT_TRUE(all_of_chars(time.substr(0, time.size() - 3), "0123456789")) << time;
  }
}

TEST_F(CliTest, GetWithoutVerboseWritesOnlyTheBody) {
  const std::string url = resource_url("quiet");
  ASSERT_EQ(get(url).exit_code, 0);  // creates the key file and the entry
  CliRun quiet = cli({"get", url, "--store", store_});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.describe();
  EXPECT_TRUE(contains(quiet.out, kMarker)) << quiet.out;
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(origin_.hits("/resource/quiet"), 1);
}

TEST_F(CliTest, FirstUseOfAStoreSaysOnceThatItCreatedAKeyFile) {
  const std::string key_file = store_ + "/data.key";
  CliRun first = get(resource_url("k1"));
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  EXPECT_TRUE(contains(first.err, "created a new data key")) << first.err;
  EXPECT_TRUE(contains(first.err, key_file)) << first.err;

  struct stat st {};
  ASSERT_EQ(stat(key_file.c_str(), &st), 0) << key_file;
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Later calls (another URL, the same URL) use the key without a word about it.
  for (const std::string& url : {resource_url("k2"), resource_url("k1")}) {
    CliRun later = get(url);
    ASSERT_EQ(later.exit_code, 0) << later.describe();
    EXPECT_FALSE(contains(later.err, "created")) << later.err;
    EXPECT_FALSE(contains(later.err, "data.key")) << later.err;
  }
}

TEST_F(CliTest, ForceRefreshCallsTheOriginAgainAndReportsCacheUpdateForced) {
  const std::string url = resource_url("forced");
  ASSERT_EQ(get(url).field("status"), "original");
  CliRun forced = get(url, {"--force-refresh"});
  ASSERT_EQ(forced.exit_code, 0) << forced.describe();
  EXPECT_EQ(forced.field("status"), "original:cache-update-forced") << forced.describe();
  EXPECT_TRUE(contains(forced.out, "\"hit\":2")) << forced.out;
  EXPECT_EQ(origin_.hits("/resource/forced"), 2);

  // The forced answer replaced the entry: the next get is a hit on it.
  CliRun after = get(url);
  EXPECT_EQ(after.field("status"), "cache") << after.describe();
  EXPECT_EQ(after.out, forced.out);
  EXPECT_EQ(origin_.hits("/resource/forced"), 2);
}

TEST_F(CliTest, MemoryStoreAnswersFromTheOriginInEveryNewProcess) {
  const std::string url = resource_url("mem");
  for (int i = 1; i <= 2; ++i) {
    CliRun run = cli({"get", url, "--store", "memory", "-v"});
    ASSERT_EQ(run.exit_code, 0) << run.describe();
    EXPECT_EQ(run.field("status"), "original") << run.describe();
    EXPECT_TRUE(contains(run.out, "\"hit\":" + std::to_string(i))) << run.out;
    EXPECT_FALSE(contains(run.err, "data key")) << run.err;
  }
  EXPECT_EQ(origin_.hits("/resource/mem"), 2);
  // Nothing was written: no store directory, no key file, not even under the default location.
  EXPECT_TRUE(files_below(dir_.path()).empty());
}

TEST_F(CliTest, UnreachableOriginExitsOneWithErrorOriginal) {
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_local_port()) + "/resource/x";
  CliRun run = get(url, {"--timeout", "5"});
  EXPECT_EQ(run.exit_code, 1) << run.describe();
  EXPECT_EQ(run.field("status"), "error:original") << run.describe();
  EXPECT_EQ(run.out, "");
}

// ---- inspect, stats, purge
// ------------------------------------------------------------------------

TEST_F(CliTest, InspectListsIdPrefixAndFreshStateButNeverTheBodyOrTheUrl) {
  const std::string url = resource_url("secret-path-segment");
  ASSERT_EQ(get(url).exit_code, 0);

  CliRun inspect = cli({"inspect", "--store", store_});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.describe();
  // One row: a 12-hex-character id prefix, the size (number and unit), expires, purge, state.
  std::istringstream lines(inspect.out);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> w = words(line);
    if (w.size() == 6 && w[0].size() == 12 && all_of_chars(w[0], "0123456789abcdef")) {
      rows.push_back(w);
    }
  }
  ASSERT_EQ(rows.size(), 1u) << inspect.out;
  EXPECT_TRUE(parse_iso8601(rows[0][3]).has_value()) << inspect.out;
  EXPECT_TRUE(parse_iso8601(rows[0][4]).has_value()) << inspect.out;
  EXPECT_EQ(rows[0][5], "fresh") << inspect.out;
  EXPECT_TRUE(contains(inspect.out, "1 entry")) << inspect.out;

  for (const std::string* text : {&inspect.out, &inspect.err}) {
    EXPECT_FALSE(contains(*text, kMarker)) << *text;
    EXPECT_FALSE(contains(*text, "secret-path-segment")) << *text;
    EXPECT_FALSE(contains(*text, origin_.base_url())) << *text;
  }
}

TEST_F(CliTest, StatsCountsTheStoredEntry) {
  ASSERT_EQ(get(resource_url("counted")).exit_code, 0);
  CliRun stats = cli({"stats", "--store", store_});
  ASSERT_EQ(stats.exit_code, 0) << stats.describe();
  EXPECT_TRUE(contains(stats.out, "\nentries: 1\n")) << stats.out;
  EXPECT_FALSE(contains(stats.out, kMarker)) << stats.out;
}

TEST_F(CliTest, PurgeUrlRemovesItsEntrySoTheNextGetIsOriginal) {
  const std::string url = resource_url("purged");
  const std::string other = resource_url("kept");
  ASSERT_EQ(get(url).exit_code, 0);
  ASSERT_EQ(get(other).exit_code, 0);

  CliRun purge = cli({"purge", url, "--store", store_});
  ASSERT_EQ(purge.exit_code, 0) << purge.describe();
  EXPECT_TRUE(contains(cli({"stats", "--store", store_}).out, "\nentries: 1\n"));

  CliRun again = get(url);
  EXPECT_EQ(again.field("status"), "original") << again.describe();
  EXPECT_EQ(origin_.hits("/resource/purged"), 2);
  EXPECT_EQ(get(other).field("status"), "cache");
  EXPECT_EQ(origin_.hits("/resource/kept"), 1);
}

TEST_F(CliTest, PurgeAllRemovesEveryEntry) {
  ASSERT_EQ(get(resource_url("a1")).exit_code, 0);
  ASSERT_EQ(get(resource_url("a2")).exit_code, 0);
  ASSERT_EQ(get(resource_url("a3")).exit_code, 0);
  ASSERT_TRUE(contains(cli({"stats", "--store", store_}).out, "\nentries: 3\n"));

  CliRun purge = cli({"purge", "--all", "--store", store_});
  ASSERT_EQ(purge.exit_code, 0) << purge.describe();
  EXPECT_TRUE(contains(purge.out, "purged 3 entries")) << purge.out;
  EXPECT_TRUE(contains(cli({"stats", "--store", store_}).out, "\nentries: 0\n"));
  EXPECT_EQ(get(resource_url("a1")).field("status"), "original");
}

// With a purge window of 0 hours an entry is purgeable as soon as it expires.
TEST_F(CliTest, PurgeExpiredRemovesOnlyEntriesPastTheirPurgeTime) {
  const Env no_window{{"CACHE_DATA_PURGE_EXPIRED_CACHE_ENTRIES_AFTER_X_HRS", "0"}};
  ASSERT_EQ(
      cli({"get", resource_url("short"), "--store", store_, "--ttl", "3"}, no_window).exit_code, 0);
  ASSERT_EQ(cli({"get", resource_url("long"), "--store", store_}, no_window).exit_code, 0);
  ASSERT_TRUE(contains(cli({"stats", "--store", store_}, no_window).out, "\nentries: 2\n"));

  std::this_thread::sleep_for(seconds(4));
  CliRun purge = cli({"purge", "--expired", "--store", store_}, no_window);
  ASSERT_EQ(purge.exit_code, 0) << purge.describe();
  CliRun stats = cli({"stats", "--store", store_}, no_window);
  EXPECT_TRUE(contains(stats.out, "\nentries: 1\n")) << stats.out;
  EXPECT_TRUE(contains(stats.out, "\npurgeable: 0\n")) << stats.out;
  EXPECT_EQ(cli({"get", resource_url("long"), "--store", store_, "-v"}, no_window).field("status"),
            "cache");
  EXPECT_EQ(cli({"get", resource_url("short"), "--store", store_, "-v"}, no_window).field("status"),
            "original");
  EXPECT_EQ(origin_.hits("/resource/long"), 1);
  EXPECT_EQ(origin_.hits("/resource/short"), 2);
}

// Regression: the CLI's read-only opens used to sweep at open, so `purge --expired` always
// reported 0 (the store now opens in inspect mode: no sweep, no creation).
TEST_F(CliTest, PurgeExpiredReportsHowManyEntriesItRemoved) {
  const Env no_window{{"CACHE_DATA_PURGE_EXPIRED_CACHE_ENTRIES_AFTER_X_HRS", "0"}};
  ASSERT_EQ(
      cli({"get", resource_url("short"), "--store", store_, "--ttl", "1"}, no_window).exit_code, 0);
  std::this_thread::sleep_for(seconds(2));
  CliRun purge = cli({"purge", "--expired", "--store", store_}, no_window);
  ASSERT_EQ(purge.exit_code, 0) << purge.describe();
  EXPECT_TRUE(contains(purge.out, "purged 1 entry")) << purge.out;
}

// ---- configuration errors
// -------------------------------------------------------------------------

TEST_F(CliTest, BadMemoryMaxBytesFailsNamingTheVariableAndTheValue) {
  CliRun run = cli({"get", resource_url("cfg"), "--store", store_},
                   {{"CACHE_DATA_MEMORY_MAX_BYTES", "12x"}});
  EXPECT_EQ(run.exit_code, 2) << run.describe();
  EXPECT_TRUE(contains(run.err, "CACHE_DATA_MEMORY_MAX_BYTES")) << run.err;
  EXPECT_TRUE(contains(run.err, "12x")) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(origin_.hits("/resource/cfg"), 0);
}

TEST_F(CliTest, BadDataKeyFailsNamingTheVariableWithoutEchoingTheKey) {
  // Too short, the right length with a non-hex character, and one with surrounding text.
  const std::string sixty_four_non_hex = std::string(63, 'a') + "Z";
  for (const std::string& key :
       {std::string("deadbeefSECRET42"), sixty_four_non_hex, "SECRET-" + std::string(64, 'b')}) {
    for (const char* command : {"get", "purge"}) {
      CliRun run = cli({command, resource_url("key"), "--store", store_},
                       {{"CACHE_DATA_SECURE_DATA_KEY", key}});
      EXPECT_NE(run.exit_code, 0) << command << "\n" << run.describe();
      EXPECT_TRUE(contains(run.err, "CACHE_DATA_SECURE_DATA_KEY")) << run.err;
      EXPECT_FALSE(contains(run.err, key)) << run.err;
      EXPECT_FALSE(contains(run.out, key)) << run.out;
      EXPECT_FALSE(contains(run.err, "SECRET")) << run.err;
      EXPECT_FALSE(contains(run.err, std::string(16, key[0]))) << run.err;
    }
  }
  EXPECT_EQ(origin_.hits("/resource/key"), 0);
}

// ---- help and usage
// -------------------------------------------------------------------------------

TEST_F(CliTest, HelpOfTheRootAndOfEverySubcommandExitsZeroAndListsItsOptions) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
      {{"--help"}, {"get", "inspect", "purge", "stats"}},
      {{"get", "--help"},
       {"url", "--header", "--method", "--data", "--ttl", "--interval", "--tz", "--force-refresh",
        "--no-encrypt", "--store", "--key-file", "--verbose"}},
      {{"inspect", "--help"}, {"--store", "--limit"}},
      {{"purge", "--help"}, {"url", "--expired", "--all", "--store"}},
      {{"stats", "--help"}, {"--store"}},
  };
  for (const auto& [args, expected] : cases) {
    CliRun run = cli(args);
    const std::string what = args.size() == 1 ? "root" : args[0];
    EXPECT_EQ(run.exit_code, 0) << what << "\n" << run.describe();
    for (const std::string& option : expected) {
      EXPECT_TRUE(contains(run.out, option)) << what << " help lacks " << option << ":\n"
                                             << run.out;
    }
  }
  EXPECT_TRUE(files_below(dir_.path()).empty()) << "--help must not touch any store";
}

// Regression: CLI11's own exit codes (106, 109, 105...) used to leak out for usage errors.
TEST_F(CliTest, UsageErrorsExitWithStatusTwo) {
  const std::vector<std::vector<std::string>> usage_errors = {
      {},                                              // no subcommand
      {"get"},                                         // no URL
      {"get", resource_url("u"), "--no-such-option"},  // unknown option
      {"get", resource_url("u"), "--ttl", "-5"},       // value out of range
      {"inspect", "--limit", "many"},                  // not a number
  };
  for (const auto& args : usage_errors) {
    CliRun run = cli(args);
    std::string joined;
    for (const std::string& a : args) joined += " " + a;
    EXPECT_EQ(run.exit_code, 2) << "cachedata" << joined << "\n" << run.describe();
    EXPECT_NE(run.err, "") << "cachedata" << joined;
  }
  EXPECT_EQ(origin_.hits("/resource/u"), 0);
}

// Regression: a URL that is not absolute http(s) used to open the cache (creating a key file)
// and come back as error:original with exit 1.
TEST_F(CliTest, GetOfANonHttpUrlIsAUsageError) {
  for (const std::string url : {"not-a-url", "ftp://example.com/x"}) {
    CliRun run = get(url);
    EXPECT_EQ(run.exit_code, 2) << url << "\n" << run.describe();
    EXPECT_TRUE(contains(run.err, url)) << run.err;
  }
}

TEST_F(CliTest, InspectOfAMissingStoreFailsWithoutCreatingIt) {
  std::string missing = store_ + "/not-there";
  CliRun run = cli({"inspect", "--store", missing});
  EXPECT_NE(run.exit_code, 0) << run.describe();
  EXPECT_TRUE(contains(run.err, "no local store")) << run.err;
  struct stat st;
  EXPECT_NE(::stat(missing.c_str(), &st), 0) << "inspect created " << missing;
}

TEST_F(CliTest, PurgeNeedsExactlyOneOfUrlExpiredOrAll) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"purge", "--store", store_},
        std::vector<std::string>{"purge", "--all", "--expired", "--store", store_}}) {
    CliRun run = cli(args);
    EXPECT_EQ(run.exit_code, 2) << run.describe();
    EXPECT_TRUE(contains(run.err, "exactly one")) << run.err;
  }
}

}  // namespace
}  // namespace cachedata::testing
