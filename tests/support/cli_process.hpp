// Runs the `cachedata` binary (CACHEDATA_CLI_BIN) as a child process for end-to-end tests:
// argv array, stdin from /dev/null, stdout and stderr captured apart, a clean environment (no
// CACHE_DATA_* or AWS_* variables, HOME inside the test's directory) with the test's variables on
// top. The CLI and storage tests use it.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace cachedata::testing {

struct ProcessRun {
  int exit_code = -1;  // the exit status, or 128 + signal if it was killed
  std::string out;
  std::string err;
  std::string describe() const;  // everything, for failure messages
};

// Runs `program` (a path) with `args` in the same clean environment.
ProcessRun run_program(const std::string& program, const std::vector<std::string>& args,
                       const std::string& home, const std::map<std::string, std::string>& env = {},
                       std::chrono::seconds timeout = std::chrono::seconds(60));

ProcessRun run_cachedata(const std::vector<std::string>& args, const std::string& home,
                         const std::map<std::string, std::string>& env = {},
                         std::chrono::seconds timeout = std::chrono::seconds(60));

// The environment run_cachedata gives the child, as NAME=VALUE strings.
std::vector<std::string> clean_environment(const std::string& home,
                                           const std::map<std::string, std::string>& env);

// Writes `text` to `path` with mode `mode`, creating nothing else.
void write_file(const std::string& path, const std::string& text, unsigned mode = 0644);

}  // namespace cachedata::testing
