// The built-in HTTP fetcher next to the bare operation it wraps: a libcurl GET on a reused easy
// handle with the fetcher's transport settings, against the local origin with no delay, in the
// same run. Also a revalidation round trip (If-None-Match → 304). The origin is started once, on
// 127.0.0.1. Wall time on a shared machine is noisy: fetcher_callgrind.cpp counts the same loops'
// instructions.
#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <stdlib.h>

#include <string>

#include "cachedata/http_fetcher.hpp"
#include "local_origin.hpp"

namespace {

using namespace cachedata;
using Origin = bench::LocalOrigin;

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// 1 KB of octet-stream (the origin does not compress it), the same for both loops.
const char* kPath = "/resource/bench?size=1024";

void BM_BareCurlGet(benchmark::State& state) {
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  std::string url = Origin::get().url(kPath);
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
