// At rest: with encryption on, no file under the local store holds the body or the header
// values of a cached answer; the key file is 0600.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cachedata/cache.hpp"
#include "open/open_cache.hpp"
#include "support/test_support.hpp"

namespace cachedata {
namespace {

constexpr const char* kBodyMarker = "MARKER-7f3a9c-the-secret-body";
constexpr const char* kHeaderMarker = "HEADER-MARKER-52be1d";

void cache_marked_answers(const std::string& dir, bool encrypt, std::string* key_path) {
  Config config;
  config.store_dir = dir;
  config.log_level = LogLevel::kOff;
  config.local_inline_max_bytes = 4096;  // the large answer below goes to a blob file
  auto parts = wiring::open_cache_parts(config).value();
  *key_path = wiring::key_file_of(parts);
  EXPECT_TRUE(wiring::created_key_file(parts));
  auto cache = Cache::open(config, std::move(parts)).value();
  Profile profile;
  profile.encrypt = encrypt;
  testing::CountingFetcher origin;
  origin.respond = [](const Request& r, const Validators&) {
    std::string body = std::string(kBodyMarker);
    // The large answer repeats the marker among noise so that compression cannot hide it.
    if (r.uri.ends_with("/large")) {
      for (int i = 0; i < 2000; ++i) body += std::to_string(i * 7919) + kBodyMarker;
    }
    return testing::ok_response(body, {{"X-Custom", kHeaderMarker}});
  };
  for (const char* path : {"/small", "/large"}) {
    GetResult r = cache->get(profile, Request::get(std::string("https://api.example.com") + path),
                             origin.fetcher());
    ASSERT_EQ(r.source(), DataSource::kOriginal);
  }
}

TEST(AtRestTest, NoFileHoldsTheBodyOrHeaderValues) {
  testing::TempDir dir;
  std::string key_path;
  cache_marked_answers(dir.path(), true, &key_path);
  auto files = testing::files_below(dir.path());
  ASSERT_GE(files.size(), 3u);  // database, key, at least one blob
  bool saw_blob = false;
  for (const std::string& f : files) {
    std::string content = testing::read_file(f);
    EXPECT_EQ(content.find(kBodyMarker), std::string::npos) << f;
    EXPECT_EQ(content.find(kHeaderMarker), std::string::npos) << f;
    EXPECT_EQ(content.find("api.example.com"), std::string::npos) << f;
    if (f.find("blobs") != std::string::npos) saw_blob = true;
  }
  EXPECT_TRUE(saw_blob) << "the large answer should have been stored as a file";
  struct stat st;
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AtRestTest, WithoutEncryptionTheMarkerIsVisible) {
  // The control experiment: proves the test above would see the marker if it were there.
  testing::TempDir dir;
  std::string key_path;
  cache_marked_answers(dir.path(), false, &key_path);
  bool found = false;
  for (const std::string& f : testing::files_below(dir.path())) {
    if (testing::read_file(f).find(kBodyMarker) != std::string::npos) found = true;
  }
  EXPECT_TRUE(found);
}

// The embedded store in `dir`, no key configured (so data.key is used or created), quiet.
Config local_store_config(const std::string& dir) {
  Config config;
  config.store_dir = dir;
  config.log_level = LogLevel::kOff;
  return config;
}

Fetcher answer_x(testing::CountingFetcher& origin) {
  origin.respond = [](const Request&, const Validators&) { return testing::ok_response("x"); };
  return origin.fetcher();
}

TEST(AtRestTest, TheSameKeyFileIsReusedAcrossOpens) {
  testing::TempDir dir;
  Config config = local_store_config(dir.path());
  testing::CountingFetcher origin;
  Fetcher fetcher = answer_x(origin);
  Request r = Request::get("https://api.example.com/x");
  {
    auto parts = wiring::open_cache_parts(config).value();
    EXPECT_TRUE(wiring::created_key_file(parts));
    auto cache = Cache::open(config, std::move(parts)).value();
    cache->get(Profile{}, r, fetcher);
  }
  auto parts = wiring::open_cache_parts(config).value();
  EXPECT_FALSE(wiring::created_key_file(parts));
  auto cache = Cache::open(config, std::move(parts)).value();
  EXPECT_EQ(cache->get(Profile{}, r, fetcher).source(), DataSource::kCache);
}

TEST(AtRestTest, PreviousKeysDoNotDisplaceTheKeyFile) {
  // Configuring previous keys (after a rotation) must leave the store's own key current.
  testing::TempDir dir;
  Config config = local_store_config(dir.path());
  testing::CountingFetcher origin;
  Fetcher fetcher = answer_x(origin);
  Request r = Request::get("https://api.example.com/x");
  Cache::open(config).value()->get(Profile{}, r, fetcher);
  config.previous_keys = {DataKey::generate()};
  auto parts = wiring::open_cache_parts(config).value();
  EXPECT_EQ(wiring::key_file_of(parts), dir.path() + "/data.key");
  auto cache = Cache::open(config, std::move(parts)).value();
  EXPECT_EQ(cache->get(Profile{}, r, fetcher).source(), DataSource::kCache);
  EXPECT_EQ(origin.calls, 1);
}

TEST(AtRestTest, KeyFileWritableByOthersIsRefused) {
  testing::TempDir dir;
  Config config = local_store_config(dir.path());
  { ASSERT_TRUE(Cache::open(config)); }
  ASSERT_EQ(::chmod((dir.path() + "/data.key").c_str(), 0666), 0);
  auto cache = Cache::open(config);
  ASSERT_FALSE(cache);
  EXPECT_NE(cache.status().message().find("data.key"), std::string::npos);
}

TEST(AtRestTest, StoreDirectoryWritableByOthersIsRefused) {
  testing::TempDir dir;
  std::string store = dir.path() + "/shared";
  ASSERT_EQ(::mkdir(store.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(store.c_str(), 0777), 0);
  Config config;
  config.store_dir = store;
  config.keys = {DataKey::generate()};
  auto cache = Cache::open(config);
  ASSERT_FALSE(cache);
  EXPECT_NE(cache.status().message().find("writable by others"), std::string::npos)
      << cache.status().to_string();
}

}  // namespace
}  // namespace cachedata
