// Running the deployment tools (sam, aws) for `storage deploy`: finding a program on PATH, running
// it as a child process with an argv array (posix_spawn; never through a shell), and printing a
// command line the way a POSIX shell would read it back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cachedata/status.hpp"

namespace cachedata::cli::storage {

// The first executable regular file `name` in the directories of $PATH, as a shell would find it.
std::optional<std::string> find_on_path(const std::string& name);

// Runs `program` with argv {argv0, args...}, sharing this process's stdin, stdout and stderr, and
// waits for it. Its exit status, or 128 + the signal that ended it; an error when it cannot start.
// While it runs, this process ignores SIGINT and SIGQUIT: a Ctrl-C reaches the child, which
// decides.
Result<int> run_program(const std::string& program, const std::vector<std::string>& argv);

// One word for a POSIX shell: as is when it holds only safe characters, else in single quotes.
std::string shell_quote(const std::string& word);
// The words, quoted, separated by spaces.
std::string shell_join(const std::vector<std::string>& words);

}  // namespace cachedata::cli::storage
