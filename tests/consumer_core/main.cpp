// A program on cachedata's core alone: the parts are made by hand (the memory store, a key of
// this process), the source is a plain function. Exits 0 when the second get is a store hit and
// the source was called once.
#include <cachedata/cache.hpp>
#include <cstdio>

int main() {
  cachedata::Config config;
  config.memory_max_bytes = 0;  // no memory tier: the second get must come from the store
  auto cache = cachedata::Cache::open(
      config, cachedata::CacheParts{
                  .store = cachedata::make_memory_store(),
                  .key_source = cachedata::fixed_key_source(cachedata::DataKey::generate())});
  if (!cache) {
    std::fprintf(stderr, "open failed: %s\n", cache.status().to_string().c_str());
    return 1;
  }
  int calls = 0;
  cachedata::Fetcher source = [&](const cachedata::Request&, const cachedata::Validators&) {
    ++calls;
    cachedata::Response r;
    r.status_code = 200;
    r.body = "computed once";
    return r;
  };
  const auto request = cachedata::Request::get("https://example.test/report");
  auto first = (*cache)->get(cachedata::Profile{}, request, source);
  auto second = (*cache)->get(cachedata::Profile{}, request, source);
  std::printf("%s %s %s\n", std::string(first.source_name()).c_str(),
              std::string(second.source_name()).c_str(), second.body().c_str());
  return (calls == 1 && second.source() == cachedata::DataSource::kCache &&
          second.body() == "computed once")
             ? 0
             : 1;
}
