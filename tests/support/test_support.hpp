// Helpers shared by the tests: temporary directories, a fixed clock, a counting fetcher.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cachedata/cache.hpp"

namespace cachedata::testing {

// A directory under the test temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A clock the test moves by hand. Starts at 2026-01-15T12:00:00Z.
class ManualClock {
 public:
  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds_.load()));
  }
  void advance(std::chrono::seconds s) { seconds_ += s.count(); }
  int64_t seconds() const { return seconds_.load(); }
  std::function<std::chrono::system_clock::time_point()> fn() {
    return [this] { return now(); };
  }

 private:
  std::atomic<int64_t> seconds_{1768478400};
};

// A fetcher that answers from a script and counts its calls.
class CountingFetcher {
 public:
  std::function<Response(const Request&, const Validators&)> respond;
  std::atomic<int> calls{0};
  std::vector<Validators> seen_validators;  // what each call received

  Fetcher fetcher() {
    return [this](const Request& r, const Validators& v) {
      ++calls;
      {
        std::lock_guard lock(mu_);
        seen_validators.push_back(v);
      }
      return respond(r, v);
    };
  }

 private:
  std::mutex mu_;
};

Response ok_response(std::string body, Headers headers = {});

// Every regular file below `dir`, recursively.
std::vector<std::string> files_below(const std::string& dir);
// Threads this process runs now (/proc/self/task): how tests see that calls in flight hold none.
size_t threads_of_this_process();
std::string read_file(const std::string& path);

}  // namespace cachedata::testing
