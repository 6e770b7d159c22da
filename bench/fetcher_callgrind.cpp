// Instruction counts of the HTTP fetcher next to a bare libcurl GET on a reused handle: the same
// two loops as bench_fetcher.cpp (BM_BareCurlGet, BM_FetcherGet, BM_FetcherRevalidate304) with a
// fixed call count, for callgrind, which counts the client's instructions exactly where wall time
// on a shared machine does not. Each loop is its own function, so one run measures all three:
//
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out --toggle-collect='*measured_*'
//     build/release/bench/cachedata_fetcher_callgrind 2000      (one command line)
//   callgrind_annotate --inclusive=yes /tmp/cg.out | grep measured_   # Ir / calls = per call
//
// Every loop first makes 50 unmeasured calls (connection set up, caches warm). A second argument
// (bare, fetcher or revalidate) runs only that loop, e.g. under `strace -c` or `perf stat`.
#include <curl/curl.h>
#include <stdlib.h>

#include <cstdio>
#include <string>

#include "cachedata/http_fetcher.hpp"
#include "local_origin.hpp"

namespace {

using namespace cachedata;

const char* kPath = "/resource/bench?size=1024";  // as in bench_fetcher.cpp
constexpr int kWarmup = 50;

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

int bare_call(CURL* h, std::string& body) {
  body.clear();
  return curl_easy_perform(h) == CURLE_OK && body.size() == 1024 ? 0 : 1;
}

__attribute__((noinline)) int measured_bare(CURL* h, std::string& body, int n) {
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += bare_call(h, body);
  return bad;
}

int fetcher_call(const HttpFetcher& f, const Request& r, const Validators& v, int expect) {
  Response response = f(r, v);
  return response.status_code == expect ? 0 : 1;
}

__attribute__((noinline)) int measured_fetcher(const HttpFetcher& f, const Request& r, int n) {
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += fetcher_call(f, r, Validators{}, 200);
  return bad;
}

__attribute__((noinline)) int measured_revalidate(const HttpFetcher& f, const Request& r,
                                                  const Validators& v, int n) {
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += fetcher_call(f, r, v, 304);
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  const std::string only = argc > 2 ? argv[2] : "";
  auto runs = [&only](const char* loop) { return only.empty() || only == loop; };
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  auto& origin = bench::LocalOrigin::get();
  int bad = 0;

  const std::string url = origin.url(kPath);
  if (runs("bare")) {
    CURL* h = curl_easy_init();
    std::string body;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cachedata/bench");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    // The fetcher's transport settings: no signal handling per call, proxies from the
    // environment (whose no_proxy names the origin).
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    for (int i = 0; i < kWarmup; ++i) bad += bare_call(h, body);
    bad += measured_bare(h, body, n);
    curl_easy_cleanup(h);
  }

  if (runs("fetcher")) {
    HttpFetcherOptions options;
    options.user_agent = "cachedata/bench";
    HttpFetcher fetcher(options);
    Request get = Request::get(url);
    for (int i = 0; i < kWarmup; ++i) bad += fetcher_call(fetcher, get, Validators{}, 200);
    bad += measured_fetcher(fetcher, get, n);
  }

  if (runs("revalidate")) {
    HttpFetcher plain;
    Request revalidate = Request::get(origin.url("/resource/bench?etag=%22v1%22"));
    Validators validators{"\"v1\"", ""};
    for (int i = 0; i < kWarmup; ++i) bad += fetcher_call(plain, revalidate, validators, 304);
    bad += measured_revalidate(plain, revalidate, validators, n);
  }

  std::printf("%d calls per loop, %d bad answers\n", n, bad);
  return bad == 0 ? 0 : 1;
}
