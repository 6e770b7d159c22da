// The local origin server (tools/origin) as a child process of a benchmark program: started on
// 127.0.0.1 with no delay on first use, stopped at exit. Shared by the fetcher benchmark and the
// fetcher's callgrind driver so both measure against the same server.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

extern char** environ;

namespace cachedata::bench {

class LocalOrigin {
 public:
  static LocalOrigin& get() {
    static LocalOrigin origin;
    return origin;
  }
  std::string url(const std::string& path) const { return base_ + path; }

 private:
  LocalOrigin() {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    const char* argv[] = {CACHEDATA_ORIGIN_BIN, "--port", "0", "--default-delay-ms", "0", nullptr};
    if (posix_spawn(&pid_, CACHEDATA_ORIGIN_BIN, &actions, nullptr, const_cast<char**>(argv),
                    environ) != 0) {
      throw std::runtime_error("cannot start " CACHEDATA_ORIGIN_BIN);
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    FILE* in = ::fdopen(out[0], "r");
    char line[256] = {};
    if (std::fgets(line, sizeof line, in) == nullptr) throw std::runtime_error("origin died");
    std::string text(line);
    base_ = text.substr(text.find("http://"));
    while (!base_.empty() && (base_.back() == '\n' || base_.back() == '\r')) base_.pop_back();
  }
  ~LocalOrigin() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid_ = 0;
  std::string base_;
};

}  // namespace cachedata::bench
