// The built-in HTTP fetcher next to the bare operation it wraps: a libcurl GET on a reused easy
// handle, against the local origin with no delay, in the same run. Also a revalidation round trip
// (If-None-Match → 304). The origin is started once, on 127.0.0.1.
#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "cachedata/http_fetcher.hpp"

extern char** environ;

namespace {

using namespace cachedata;

// One origin for the whole benchmark program; stopped at exit.
class Origin {
 public:
  static Origin& get() {
    static Origin origin;
    return origin;
  }
  std::string url(const std::string& path) const { return base_ + path; }

 private:
  Origin() {
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
  ~Origin() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid_ = 0;
  std::string base_;
};

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// 1 KB of octet-stream (the origin does not compress it), the same for both loops.
const char* kPath = "/resource/bench?size=1024";

void BM_BareCurlGet(benchmark::State& state) {
  std::string url = Origin::get().url(kPath);
  CURL* h = curl_easy_init();
  std::string body;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "cachedata/bench");
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  for (auto _ : state) {
    body.clear();
    if (curl_easy_perform(h) != CURLE_OK || body.size() != 1024) state.SkipWithError("bad answer");
  }
  curl_easy_cleanup(h);
}
BENCHMARK(BM_BareCurlGet)->UseRealTime();

void BM_FetcherGet(benchmark::State& state) {
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  HttpFetcherOptions options;
  options.user_agent = "cachedata/bench";
  HttpFetcher fetcher(options);
  Request request = Request::get(Origin::get().url(kPath));
  for (auto _ : state) {
    Response r = fetcher(request, Validators{});
    if (r.status_code != 200 || r.body.size() != 1024) state.SkipWithError("bad answer");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_FetcherGet)->UseRealTime();

void BM_FetcherRevalidate304(benchmark::State& state) {
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  HttpFetcher fetcher;
  Request request = Request::get(Origin::get().url("/resource/bench?etag=%22v1%22"));
  Validators validators{"\"v1\"", ""};
  for (auto _ : state) {
    Response r = fetcher(request, validators);
    if (r.status_code != 304) state.SkipWithError("expected 304");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_FetcherRevalidate304)->UseRealTime();

}  // namespace
