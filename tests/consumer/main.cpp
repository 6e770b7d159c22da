// Uses cachedata as an installed package would be used: memory-only mode with a user fetcher.
#include <cachedata/cachedata.hpp>
#include <cstdio>

int main() {
  cachedata::Config config;
  config.store = cachedata::Config::StoreKind::kMemoryOnly;
  auto cache = cachedata::Cache::open(config);
  if (!cache) {
    std::fprintf(stderr, "open failed: %s\n", cache.status().to_string().c_str());
    return 1;
  }
  int calls = 0;
  cachedata::Fetcher fetcher = [&](const cachedata::Request&, const cachedata::Validators&) {
    ++calls;
    cachedata::Response r;
    r.status_code = 200;
    r.body = "hello from the consumer";
    return r;
  };
  cachedata::Request request = cachedata::Request::get("https://example.test/hello");
  auto first = (*cache)->get(cachedata::Profile{}, request, fetcher);
  auto second = (*cache)->get(cachedata::Profile{}, request, fetcher);
  std::printf("%s %s %s\n", std::string(first.source_name()).c_str(),
              std::string(second.source_name()).c_str(), second.body().c_str());
  return (calls == 1 && second.source() == cachedata::DataSource::kCacheMemory) ? 0 : 1;
}
