// The embedded local store (src/store/local_store.cpp): round trips, overwrite and erase with
// their blob files, touch, LRU eviction, purge and sweep, file modes, damaged databases and blob
// files, and many threads and processes on one directory at once.
#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/local_store.hpp"

extern char** environ;

namespace cachedata::store {
namespace {

namespace fs = std::filesystem;
using Code = Status::Code;

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "/cachedata-local-store-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A clock the test moves by hand.
struct ManualClock {
  std::shared_ptr<std::atomic<int64_t>> now = std::make_shared<std::atomic<int64_t>>(1000);
  void set(int64_t t) const { now->store(t); }
  std::function<int64_t()> fn() const {
    auto t = now;
    return [t] { return t->load(); };
  }
};

std::string id_for(int n) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016x", n * 2654435761u);
  return std::string(buf) + std::string(48, 'a');
}

// `size` bytes: the id, then one repeated byte (so a torn envelope shows).
std::string envelope_for(const std::string& id, size_t size, char fill = 'x') {
  std::string env = id.substr(0, size < id.size() ? size : id.size());
  env.resize(size, fill);
  return env;
}

StoredRecord record(const std::string& id, std::string envelope, int64_t expires = 5000,
                    int64_t purge_at = 9000) {
  StoredRecord r;
  r.id = id;
  r.expires = expires;
  r.purge_at = purge_at;
  r.head = "h";  // one byte, so sizes below are the bodies' plus one per entry
  r.body = std::move(envelope);
  return r;
}

LocalStoreOptions options_for(const std::string& dir, const ManualClock& clock,
                              uint64_t max_bytes = 1 << 20, uint64_t inline_max = 1024) {
  LocalStoreOptions o;
  o.dir = dir;
  o.max_bytes = max_bytes;
  o.inline_max_bytes = inline_max;
  o.now_seconds = clock.fn();
  return o;
}

std::unique_ptr<Store> must_open(LocalStoreOptions options) {
  auto opened = open_local_store(std::move(options));
  EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
  return opened ? std::move(opened).value() : nullptr;
}

// Every file under <dir>/blobs, temporary ones included.
std::vector<std::string> blob_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir + "/blobs", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path().string());
  }
  return out;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::optional<StoredRecord> must_get(Store& store, const std::string& id) {
  auto got = store.get(id);
  EXPECT_TRUE(got.is_ok()) << got.status().to_string();
  return got ? *got : std::nullopt;
}

// Runs `sql` on <dir>/store.db through a connection of its own, as another process would.
bool exec_sql(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open((dir + "/store.db").c_str(), &db) == SQLITE_OK &&
            sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

// The first column of the first row of `sql` on <dir>/store.db, or -1.
int64_t query_int(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t value = -1;
  if (sqlite3_open((dir + "/store.db").c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

// --- round trips, overwrite, erase, touch ---

TEST(LocalStoreTest, RoundTripsInlineEnvelope) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  const std::string id = id_for(1);
  ASSERT_TRUE(store->put(record(id, envelope_for(id, 500), 1500, 2500)));
  auto got = must_get(*store, id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, id);
  EXPECT_EQ(got->body, envelope_for(id, 500));
  EXPECT_EQ(got->expires, 1500);
  EXPECT_EQ(got->purge_at, 2500);
  EXPECT_TRUE(blob_files(tmp.path()).empty());
  EXPECT_FALSE(must_get(*store, id_for(2)).has_value());
}

TEST(LocalStoreTest, RoundTripsEmptyBody) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), "")));
  auto got = must_get(*store, id_for(1));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->body, "");
}

TEST(LocalStoreTest, RoundTripsFileBody) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  const std::string id = id_for(1);
  const std::string env = envelope_for(id, 100'000);
  ASSERT_TRUE(store->put(record(id, env, 1500, 2500)));
  auto files = blob_files(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(fs::path(files[0]).filename().string().substr(0, 65), id + "-");
  EXPECT_EQ(fs::path(files[0]).parent_path().filename().string(), id.substr(0, 2));
  auto got = must_get(*store, id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->body, env);
  EXPECT_EQ(got->expires, 1500);
  EXPECT_EQ(got->purge_at, 2500);
}

TEST(LocalStoreTest, EntriesSurviveReopen) {
  TempDir tmp;
  ManualClock clock;
  const std::string small = envelope_for(id_for(1), 100);
  const std::string large = envelope_for(id_for(2), 5000);
  {
    auto store = must_open(options_for(tmp.path(), clock));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put(record(id_for(1), small)));
    ASSERT_TRUE(store->put(record(id_for(2), large)));
  }
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(must_get(*store, id_for(1))->body, small);
  EXPECT_EQ(must_get(*store, id_for(2))->body, large);
}

TEST(LocalStoreTest, OverwriteReplacesEnvelopeAndRemovesOldBlobFile) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  const std::string id = id_for(7);
  ASSERT_TRUE(store->put(record(id, envelope_for(id, 5000, 'a'))));
  auto first = blob_files(tmp.path());
  ASSERT_EQ(first.size(), 1u);

  ASSERT_TRUE(store->put(record(id, envelope_for(id, 6000, 'b'), 1234, 5678)));
  auto second = blob_files(tmp.path());
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0], first[0]);  // a new name per write
  auto got = must_get(*store, id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->body, envelope_for(id, 6000, 'b'));
  EXPECT_EQ(got->expires, 1234);

  // File to inline: the file goes; inline to file and back: one file at most.
  ASSERT_TRUE(store->put(record(id, envelope_for(id, 100, 'c'))));
  EXPECT_TRUE(blob_files(tmp.path()).empty());
  EXPECT_EQ(must_get(*store, id)->body, envelope_for(id, 100, 'c'));
  auto stats = store->stats(1000);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->entries, 1u);
  EXPECT_EQ(stats->bytes, 101u);
}

TEST(LocalStoreTest, EraseRemovesEntryAndBlobFile) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 100))));
  ASSERT_TRUE(store->put(record(id_for(2), envelope_for(id_for(2), 5000))));
  ASSERT_TRUE(store->erase(id_for(1)));
  ASSERT_TRUE(store->erase(id_for(2)));
  EXPECT_FALSE(must_get(*store, id_for(1)).has_value());
  EXPECT_FALSE(must_get(*store, id_for(2)).has_value());
  EXPECT_TRUE(blob_files(tmp.path()).empty());
  EXPECT_TRUE(store->erase(id_for(3)));  // nothing to erase is not an error
  auto stats = store->stats(1000);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->entries, 0u);
  EXPECT_EQ(stats->bytes, 0u);
}

TEST(LocalStoreTest, TouchChangesExpiryButNotEnvelope) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  for (size_t size : {300u, 5000u}) {
    const std::string id = id_for(static_cast<int>(size));
    const std::string env = envelope_for(id, size);
    ASSERT_TRUE(store->put(record(id, env, 1100, 1200)));
    auto files_before = blob_files(tmp.path());
    ASSERT_TRUE(store->touch(id, 7000, 8000));
    auto got = must_get(*store, id);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->expires, 7000);
    EXPECT_EQ(got->purge_at, 8000);
    EXPECT_EQ(got->body, env);
    EXPECT_EQ(blob_files(tmp.path()), files_before);  // the file is not rewritten
  }
}

TEST(LocalStoreTest, TouchMissingIsNotFound) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->touch(id_for(1), 2000, 3000).code(), Code::kNotFound);
  // An entry past its purge time counts as missing, as it does for get().
  ASSERT_TRUE(store->put(record(id_for(2), "x", 1000, 1000)));
  EXPECT_EQ(store->touch(id_for(2), 2000, 3000).code(), Code::kNotFound);
}

TEST(LocalStoreTest, InvalidIdIsInvalidArgument) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  const std::string upper = std::string(64, 'A');
  const std::string short_id = std::string(63, 'a');
  const std::string path_like = "../" + std::string(61, 'a');
  for (const std::string& id : {upper, short_id, path_like, std::string()}) {
    EXPECT_EQ(store->get(id).status().code(), Code::kInvalidArgument) << id;
    EXPECT_EQ(store->put(record(id, "x")).code(), Code::kInvalidArgument) << id;
    EXPECT_EQ(store->touch(id, 1, 2).code(), Code::kInvalidArgument) << id;
    EXPECT_EQ(store->erase(id).code(), Code::kInvalidArgument) << id;
  }
}

TEST(LocalStoreTest, DescribeNamesDirectory) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->describe(), "local:" + tmp.path());
}

// --- list, stats, clear ---

TEST(LocalStoreTest, ListIsMostRecentlyUsedFirst) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 3; ++i) {
    clock.set(1000 + i);
    ASSERT_TRUE(store->put(record(id_for(i), envelope_for(id_for(i), 100 + i))));
  }
  auto listed = store->list(10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].id, id_for(2));
  EXPECT_EQ((*listed)[1].id, id_for(1));
  EXPECT_EQ((*listed)[2].id, id_for(0));
  EXPECT_EQ((*listed)[2].size, 101u);
  EXPECT_EQ((*listed)[2].last_access, 1000);

  clock.set(1100);
  ASSERT_TRUE(must_get(*store, id_for(0)).has_value());
  listed = store->list(2);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, id_for(0));
  EXPECT_EQ((*listed)[0].last_access, 1100);
  EXPECT_EQ((*listed)[1].id, id_for(2));
}

TEST(LocalStoreTest, ReadUpdatesLastAccessOnlyAfterGranularity) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), "x")));  // at 1000
  clock.set(1059);
  ASSERT_TRUE(must_get(*store, id_for(1)).has_value());
  EXPECT_EQ(store->list(1)->at(0).last_access, 1000);  // a hit within 60 s writes nothing
  clock.set(1060);
  ASSERT_TRUE(must_get(*store, id_for(1)).has_value());
  EXPECT_EQ(store->list(1)->at(0).last_access, 1060);
}

TEST(LocalStoreTest, StatsCountEntriesBytesExpiredAndPurgeable) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock, 50'000));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), std::string(100, 'a'), 900, 2000)));    // expired
  ASSERT_TRUE(store->put(record(id_for(2), std::string(3000, 'b'), 2000, 3000)));  // fresh
  ASSERT_TRUE(store->put(record(id_for(3), std::string(10, 'c'), 500, 1000)));     // purgeable
  auto stats = store->stats(1000);
  ASSERT_TRUE(stats) << stats.status().to_string();
  EXPECT_EQ(stats->entries, 3u);
  EXPECT_EQ(stats->bytes, 3113u);
  EXPECT_EQ(stats->capacity_bytes, 50'000u);
  EXPECT_EQ(stats->expired_entries, 2u);
  EXPECT_EQ(stats->purgeable_entries, 1u);
}

TEST(LocalStoreTest, ClearDeletesAllRowsAndBlobFiles) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store->put(record(id_for(i), envelope_for(id_for(i), i < 3 ? 100 : 5000))));
  }
  ASSERT_EQ(blob_files(tmp.path()).size(), 2u);
  auto cleared = store->clear();
  ASSERT_TRUE(cleared) << cleared.status().to_string();
  EXPECT_EQ(*cleared, 5u);
  EXPECT_TRUE(blob_files(tmp.path()).empty());
  auto stats = store->stats(1000);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->entries, 0u);
  EXPECT_EQ(stats->bytes, 0u);
  EXPECT_FALSE(must_get(*store, id_for(4)).has_value());
}

// --- eviction ---

TEST(LocalStoreTest, EvictionKeepsTotalBytesUnderCap) {
  TempDir tmp;
  ManualClock clock;
  constexpr uint64_t kCap = 20'000;
  auto store = must_open(options_for(tmp.path(), clock, kCap, 2048));
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 100; ++i) {
    clock.set(1000 + i);
    const size_t size = i % 3 == 0 ? 4000 : 500 + 10 * static_cast<size_t>(i);
    ASSERT_TRUE(store->put(record(id_for(i), envelope_for(id_for(i), size))));
    auto stats = store->stats(clock.now->load());
    ASSERT_TRUE(stats);
    ASSERT_LE(stats->bytes, kCap) << "after put " << i;
  }
  // The byte count matches the rows, and every file belongs to a row.
  auto listed = store->list(1000);
  ASSERT_TRUE(listed);
  uint64_t sum = 0;
  size_t files = 0;
  for (const EntryInfo& e : *listed) {
    sum += e.size;
    files += e.size > 2048 ? 1 : 0;
  }
  EXPECT_EQ(sum, store->stats(0)->bytes);
  EXPECT_EQ(blob_files(tmp.path()).size(), files);
  // The newest entry is never the victim.
  EXPECT_TRUE(must_get(*store, id_for(99)).has_value());
}

TEST(LocalStoreTest, EvictionRemovesLeastRecentlyUsedFirst) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock, 10'000, 512));
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 10; ++i) {  // 10 x 1000 bytes (999 + the head), in files, 100 s apart
    clock.set(1000 + 100 * i);
    ASSERT_TRUE(store->put(record(id_for(i), envelope_for(id_for(i), 999))));
  }
  clock.set(3000);
  ASSERT_TRUE(must_get(*store, id_for(0)).has_value());  // the oldest put, read recently

  clock.set(3100);
  ASSERT_TRUE(store->put(record(id_for(10), envelope_for(id_for(10), 999))));
  // 11,000 > 10,000: down to 9,000 by evicting the two least recently used, 1 and 2.
  EXPECT_TRUE(must_get(*store, id_for(0)).has_value());
  EXPECT_FALSE(must_get(*store, id_for(1)).has_value());
  EXPECT_FALSE(must_get(*store, id_for(2)).has_value());
  for (int i = 3; i <= 10; ++i) EXPECT_TRUE(must_get(*store, id_for(i)).has_value()) << i;
  EXPECT_EQ(store->stats(3100)->bytes, 9000u);
  EXPECT_EQ(blob_files(tmp.path()).size(), 9u);
}

TEST(LocalStoreTest, EvictionGoesDownToNinetyPercentOfTheCap) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock, 10'000, 1024));
  ASSERT_NE(store, nullptr);
  // 200 entries of 50 bytes fill the cap exactly; the 201st (10,050) evicts down to 9,000, not
  // merely under the cap: 21 entries go.
  for (int i = 0; i < 201; ++i) {
    clock.set(1000 + i);
    ASSERT_TRUE(store->put(record(id_for(i), std::string(49, 'e'))));
    if (i == 199) {
      ASSERT_EQ(store->stats(1200)->bytes, 10'000u);
    }
  }
  EXPECT_EQ(store->stats(1300)->bytes, 9'000u);
  EXPECT_EQ(store->stats(1300)->entries, 180u);
}

TEST(LocalStoreTest, ACapOfOneByteStillEvicts) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock, 1, 1024));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), "")));  // one byte: its head
  clock.set(1001);
  ASSERT_TRUE(store->put(record(id_for(2), "")));
  EXPECT_FALSE(must_get(*store, id_for(1)).has_value());
  EXPECT_TRUE(must_get(*store, id_for(2)).has_value());
  EXPECT_EQ(store->stats(1001)->bytes, 1u);
}

TEST(LocalStoreTest, PutLargerThanCapIsTooLarge) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock, 1000, 100));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), std::string(300, 'a'))));
  EXPECT_EQ(store->put(record(id_for(2), std::string(1000, 'b'))).code(), Code::kTooLarge);
  EXPECT_TRUE(must_get(*store, id_for(1)).has_value());  // nothing evicted for it
  EXPECT_EQ(blob_files(tmp.path()).size(), 1u);
  // Exactly the cap fits, at the cost of everything else.
  ASSERT_TRUE(store->put(record(id_for(3), std::string(999, 'c'))));
  EXPECT_FALSE(must_get(*store, id_for(1)).has_value());
  EXPECT_TRUE(must_get(*store, id_for(3)).has_value());
  EXPECT_EQ(blob_files(tmp.path()).size(), 1u);
}

// --- purge and sweep ---

TEST(LocalStoreTest, EntryPastPurgeTimeIsMissAndSweptWithItsFile) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 5000), 1200, 1500)));
  ASSERT_TRUE(store->put(record(id_for(2), envelope_for(id_for(2), 100), 1200, 1500)));
  ASSERT_TRUE(store->put(record(id_for(3), envelope_for(id_for(3), 100), 1200, 9000)));
  clock.set(1499);
  EXPECT_TRUE(must_get(*store, id_for(1)).has_value());  // expired but servable stale
  clock.set(1500);
  EXPECT_FALSE(must_get(*store, id_for(1)).has_value());
  EXPECT_FALSE(must_get(*store, id_for(2)).has_value());
  EXPECT_EQ(store->stats(1500)->purgeable_entries, 2u);
  EXPECT_EQ(blob_files(tmp.path()).size(), 1u);  // not swept yet

  auto swept = store->sweep(1500);
  ASSERT_TRUE(swept) << swept.status().to_string();
  EXPECT_EQ(*swept, 2u);
  EXPECT_TRUE(blob_files(tmp.path()).empty());
  auto stats = store->stats(1500);
  EXPECT_EQ(stats->entries, 1u);
  EXPECT_EQ(stats->bytes, 101u);
  EXPECT_TRUE(must_get(*store, id_for(3)).has_value());
}

TEST(LocalStoreTest, OpenSweepsPurgeableEntries) {
  TempDir tmp;
  ManualClock clock;
  {
    auto store = must_open(options_for(tmp.path(), clock));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 5000), 1100, 1200)));
    ASSERT_TRUE(store->put(record(id_for(2), "x", 1100, 9000)));
  }
  clock.set(2000);
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->stats(2000)->entries, 1u);
  EXPECT_TRUE(blob_files(tmp.path()).empty());
}

TEST(LocalStoreTest, PutsSweepAtMostOncePerMinute) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));  // opened at 1000
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), "x", 1005, 1010)));
  clock.set(1020);
  ASSERT_TRUE(store->put(record(id_for(2), "y", 9000, 9000)));
  EXPECT_EQ(store->stats(1020)->entries, 2u);  // swept at open, not again before 1060
  clock.set(1061);
  ASSERT_TRUE(store->put(record(id_for(3), "z", 9000, 9000)));
  EXPECT_EQ(store->stats(1061)->entries, 2u);
  EXPECT_FALSE(must_get(*store, id_for(1)).has_value());
}

TEST(LocalStoreTest, OldOrphanBlobFilesAreRemovedAtOpen) {
  TempDir tmp;
  ManualClock clock;
  {
    auto store = must_open(options_for(tmp.path(), clock));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 5000))));
  }
  const std::string sub = tmp.path() + "/blobs/" + id_for(2).substr(0, 2);
  fs::create_directories(sub);
  const std::string old_orphan = sub + "/" + id_for(2) + "-0123456789abcdef";
  const std::string old_temp = sub + "/.tmp-" + id_for(2) + "-0123456789abcdee";
  const std::string new_orphan = sub + "/" + id_for(2) + "-0123456789abcded";  // a put in flight
  for (const auto& p : {old_orphan, old_temp, new_orphan}) std::ofstream(p) << "bytes";
  // The store judges ages by its own clock (here the test's, at 1000).
  const struct timespec two_hours_ago[2] = {{1000 - 7200, 0}, {1000 - 7200, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, old_orphan.c_str(), two_hours_ago, 0), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, old_temp.c_str(), two_hours_ago, 0), 0);

  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(fs::exists(old_orphan));
  EXPECT_FALSE(fs::exists(old_temp));
  EXPECT_TRUE(fs::exists(new_orphan));
  EXPECT_EQ(must_get(*store, id_for(1))->body, envelope_for(id_for(1), 5000));
}

// Age alone never makes a file an orphan: a file its row names stays, however old.
TEST(LocalStoreTest, AnOldFileThatARowNamesIsNoOrphan) {
  TempDir tmp;
  ManualClock clock;
  {
    auto store = must_open(options_for(tmp.path(), clock));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 5000))));
  }
  const auto files = blob_files(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  const std::string path = tmp.path() + "/blobs/" + id_for(1).substr(0, 2) + "/" +
                           fs::path(files[0]).filename().string();
  const struct timespec a_day_ago[2] = {{1000 - 86400, 0}, {1000 - 86400, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), a_day_ago, 0), 0);
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(must_get(*store, id_for(1))->body, envelope_for(id_for(1), 5000));
}

// The clean-up looks only in blobs/<two lowercase hex characters>/: a directory of another name
// (made by someone else, or a future layout) is not the store's to empty.
TEST(LocalStoreTest, OrphanCleanUpLooksOnlyInTheTwoHexCharacterDirectories) {
  TempDir tmp;
  ManualClock clock;
  { ASSERT_NE(must_open(options_for(tmp.path(), clock)), nullptr); }
  std::vector<std::string> kept;
  for (const char* sub : {"zz", "abc", "AB", "a"}) {
    fs::create_directories(tmp.path() + "/blobs/" + sub);
    std::string path = tmp.path() + "/blobs/" + sub + "/" + id_for(2) + "-0123456789abcdef";
    std::ofstream(path) << "bytes";
    const struct timespec old[2] = {{1000 - 86400, 0}, {1000 - 86400, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), old, 0), 0);
    kept.push_back(path);
  }
  ASSERT_NE(must_open(options_for(tmp.path(), clock)), nullptr);
  for (const std::string& path : kept) EXPECT_TRUE(fs::exists(path)) << path;
}

TEST(LocalStoreTest, AnOrphanIsRemovedOnlyWhenMoreThanAnHourOld) {
  TempDir tmp;
  ManualClock clock;
  clock.set(100'000);
  { ASSERT_NE(must_open(options_for(tmp.path(), clock)), nullptr); }
  const std::string sub = tmp.path() + "/blobs/" + id_for(2).substr(0, 2);
  fs::create_directories(sub);
  std::map<int64_t, std::string> by_age;
  for (int64_t age : {3599, 3600, 3601}) {
    std::string path = sub + "/" + id_for(2) + "-000000000000" + std::to_string(age);
    std::ofstream(path) << "bytes";
    const struct timespec at[2] = {{100'000 - age, 0}, {100'000 - age, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), at, 0), 0);
    by_age[age] = path;
  }
  ASSERT_NE(must_open(options_for(tmp.path(), clock)), nullptr);
  EXPECT_TRUE(fs::exists(by_age[3599]));
  EXPECT_TRUE(fs::exists(by_age[3600])) << "exactly an hour old is not more than an hour";
  EXPECT_FALSE(fs::exists(by_age[3601]));
}

TEST(LocalStoreTest, PutsSweepAgainExactlyAMinuteAfterTheLastSweep) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));  // swept at open, at 1000
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), "x", 1001, 1002)));
  clock.set(1059);
  ASSERT_TRUE(store->put(record(id_for(2), "y", 9000, 9000)));
  EXPECT_EQ(store->stats(1059)->entries, 2u) << "swept before its minute";
  clock.set(1060);
  ASSERT_TRUE(store->put(record(id_for(3), "z", 9000, 9000)));
  EXPECT_EQ(store->stats(1060)->entries, 2u) << "not swept when its minute was up";
}

TEST(LocalStoreTest, WithoutASweepAtOpenTheFirstPutStillWaitsItsMinute) {
  TempDir tmp;
  ManualClock clock;
  {
    auto store = must_open(options_for(tmp.path(), clock));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put(record(id_for(1), "x", 1100, 1500)));
  }
  clock.set(2000);  // id_for(1) is purgeable now
  LocalStoreOptions no_sweep = options_for(tmp.path(), clock);
  no_sweep.sweep_on_open = false;
  auto store = must_open(no_sweep);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(2), "y", 9000, 9000)));
  EXPECT_EQ(store->stats(2000)->entries, 2u) << "the first put swept at once";
  clock.set(2060);
  ASSERT_TRUE(store->put(record(id_for(3), "z", 9000, 9000)));
  EXPECT_EQ(store->stats(2060)->entries, 2u);
}

// Another process holds a read transaction on a store that is being created: switching it to
// WAL needs every other reader gone. The open waits for it (up to the busy timeout) instead of
// failing.
// Another connection holds a lock on a new store.db while the store switches it to WAL: a read
// lock makes SQLite wait in its busy handler; a write lock makes it report the conflict at once
// (waiting could deadlock), so the store's own retry loop does the waiting. Either way the open
// succeeds once the lock is gone.
void expect_open_waits_for(const std::string& lock_sql) {
  TempDir tmp;
  ManualClock clock;
  const std::string dir = tmp.path() + "/store";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/store.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(other, ("CREATE TABLE t(x); " + lock_sql).c_str(), nullptr, nullptr, nullptr),
      SQLITE_OK);
  Result<std::unique_ptr<Store>> opened = Status::unavailable("not yet");
  const auto started = std::chrono::steady_clock::now();
  std::thread opener([&] { opened = open_local_store(options_for(dir, clock)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  opener.join();
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
  ASSERT_TRUE((*opened)->put(record(id_for(1), "x")));
  EXPECT_TRUE(must_get(**opened, id_for(1)).has_value());
}

TEST(LocalStoreTest, OpenWaitsWhileAnotherConnectionReadsTheNewDatabase) {
  expect_open_waits_for("BEGIN; SELECT count(*) FROM t;");
}

TEST(LocalStoreTest, OpenRetriesWhileAnotherConnectionWritesTheNewDatabase) {
  expect_open_waits_for("BEGIN IMMEDIATE; INSERT INTO t VALUES(1);");
}

// Another process holds the write lock. A hit still answers at once (recording its access time
// is best effort, never waited for); a put waits for the lock (the busy timeout) and then writes.
TEST(LocalStoreTest, AHitNeverWaitsForAWriteLockButAPutDoes) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), "x")));  // last access 1000
  clock.set(2000);                                  // so the next hit wants to record it
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open((tmp.path() + "/store.db").c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(must_get(*store, id_for(1)).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5))
      << "the hit waited for the write lock";
  std::thread release([writer] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sqlite3_exec(writer, "COMMIT", nullptr, nullptr, nullptr);
  });
  Status put = store->put(record(id_for(2), "y"));  // the same connection, back from the hit
  release.join();
  sqlite3_close(writer);
  EXPECT_TRUE(put) << put.to_string();
  EXPECT_TRUE(must_get(*store, id_for(2)).has_value());
}

TEST(LocalStoreTest, ABodyOfExactlyTheInlineLimitStaysInline) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock, 1 << 20, /*inline_max=*/1024));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), std::string(1024, 'i'))));
  EXPECT_TRUE(blob_files(tmp.path()).empty()) << "1024 bytes went to a file";
  ASSERT_TRUE(store->put(record(id_for(2), std::string(1025, 'f'))));
  EXPECT_EQ(blob_files(tmp.path()).size(), 1u);
  EXPECT_EQ(must_get(*store, id_for(1))->body, std::string(1024, 'i'));
  EXPECT_EQ(must_get(*store, id_for(2))->body, std::string(1025, 'f'));
}

// The row change fails after the body's file was written (here: the table is gone): the put
// reports it and leaves no file behind.
TEST(LocalStoreTest, APutWhoseRowFailsLeavesNoFileBehind) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(exec_sql(tmp.path(), "DROP TABLE entries"));
  EXPECT_FALSE(store->put(record(id_for(1), envelope_for(id_for(1), 5000))));
  EXPECT_TRUE(blob_files(tmp.path()).empty());
}

TEST(LocalStoreTest, ListGivesEachEntrysTimesAndSize) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), std::string(10, 'a'), 1111, 2222)));
  auto listed = store->list(10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, id_for(1));
  EXPECT_EQ((*listed)[0].expires, 1111);
  EXPECT_EQ((*listed)[0].purge_at, 2222);
  EXPECT_EQ((*listed)[0].size, 11u);
  EXPECT_EQ((*listed)[0].last_access, 1000);
}

TEST(LocalStoreTest, ClearAlsoRemovesOldOrphanFiles) {
  TempDir tmp;
  ManualClock clock;
  clock.set(100'000);
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  const std::string sub = tmp.path() + "/blobs/" + id_for(2).substr(0, 2);
  fs::create_directories(sub);
  const std::string orphan = sub + "/" + id_for(2) + "-0123456789abcdef";
  std::ofstream(orphan) << "left by a crash";
  const struct timespec old[2] = {{100'000 - 7200, 0}, {100'000 - 7200, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, orphan.c_str(), old, 0), 0);
  ASSERT_TRUE(store->clear());
  EXPECT_FALSE(fs::exists(orphan));
}

// docs/FORMAT.md, "Files": <id>-<16 lowercase hex>, under blobs/<first two of the id>/.
TEST(LocalStoreTest, BlobFilesAreNamedIdDashSixteenLowercaseHex) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 5000))));
  auto files = blob_files(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  const fs::path file(files[0]);
  EXPECT_EQ(file.parent_path().filename().string(), id_for(1).substr(0, 2));
  const std::string name = file.filename().string();
  ASSERT_EQ(name.size(), 64u + 1 + 16) << name;
  EXPECT_EQ(name.substr(0, 65), id_for(1) + "-");
  EXPECT_EQ(name.find_first_not_of("0123456789abcdef", 65), std::string::npos) << name;
}

// The blob_file column names a file under blobs/; a value of any other shape (a path, a name of
// another length or alphabet) is damage, never opened or unlinked.
TEST(LocalStoreTest, ATamperedBlobFileNameIsCorruptionNeverAPath) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 5000))));
  const std::string id = id_for(1);
  const std::string hex15 = "0123456789abcde";
  std::string upper_id = id;
  upper_id[0] = 'A';
  const std::string bad_names[] = {
      "../../victim",
      id + "-" + hex15,                       // a suffix one short
      id + "-" + hex15 + "f0",                // one long
      id + "_" + hex15 + "f",                 // no dash
      upper_id + "-" + hex15 + "f",           // not lowercase
      id.substr(0, 63) + "g-" + hex15 + "f",  // not hex in the id part
      id + "-g" + hex15,                      // not hex at the suffix's first character
      id + "-" + hex15 + "g",                 // ... or its last
  };
  for (const std::string& bad : bad_names) {
    SCOPED_TRACE(bad);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((tmp.path() + "/store.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE entries SET blob_file=?1", -1, &stmt, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(stmt, 1, bad.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    auto got = store->get(id);
    EXPECT_EQ(got.status().code(), Code::kCorruption) << got.status().to_string();
  }
  ASSERT_TRUE(store->erase(id));  // the row goes; no file of that name is looked for
  EXPECT_FALSE(must_get(*store, id).has_value());
}

TEST(LocalStoreTest, ATamperedBlobFileNameIsShownInTheErrorCutAt100Characters) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 5000))));
  const std::string shown(100, 'n');
  ASSERT_TRUE(
      exec_sql(tmp.path(), "UPDATE entries SET blob_file='" + shown + std::string(50, '|') + "'"));
  auto got = store->get(id_for(1));
  ASSERT_EQ(got.status().code(), Code::kCorruption) << got.status().to_string();
  const std::string& message = got.status().message();
  EXPECT_NE(message.find(": " + shown), std::string::npos) << message;
  EXPECT_EQ(message.find('|'), std::string::npos) << message;
}

TEST(LocalStoreTest, AnInvalidIdIsShownInTheErrorCutAt80Characters) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  const std::string id = std::string(80, 'Q') + "TAIL";
  Status s = store->put(record(id, "x"));
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("\"" + std::string(80, 'Q') + "\""), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("QT"), std::string::npos) << s.message();
}

// --- files on disk ---

TEST(LocalStoreTest, FilesAre0600AndDirectories0700WhateverTheUmask) {
  TempDir tmp;
  ManualClock clock;
  const std::string dir = tmp.path() + "/parent/store";
  struct UmaskGuard {
    mode_t old = umask(0277);  // would give 0400 files and 0500 directories
    ~UmaskGuard() { umask(old); }
  } guard;
  auto store = must_open(options_for(dir, clock));
  ASSERT_NE(store, nullptr);
  const std::string id = id_for(1);
  ASSERT_TRUE(store->put(record(id, envelope_for(id, 5000))));
  ASSERT_TRUE(store->put(record(id_for(2), "inline")));

  EXPECT_EQ(mode_of(tmp.path() + "/parent"), 0700u);
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir + "/blobs"), 0700u);
  EXPECT_EQ(mode_of(dir + "/blobs/" + id.substr(0, 2)), 0700u);
  for (const char* name : {"/store.db", "/store.db-wal", "/store.db-shm"}) {
    ASSERT_TRUE(fs::exists(dir + name)) << name;
    EXPECT_EQ(mode_of(dir + name), 0600u) << name;
  }
  auto files = blob_files(dir);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(mode_of(files[0]), 0600u);
}

// Tools that only look (inspect, stats) open without creating: only a directory that holds a
// store.db is a store to them, and opening nothing leaves nothing behind.
TEST(LocalStoreTest, AnOpenWithoutCreatingFindsOnlyAnExistingStore) {
  TempDir tmp;
  ManualClock clock;
  LocalStoreOptions look = options_for(tmp.path() + "/none", clock);
  look.create_if_missing = false;
  auto missing = open_local_store(look);
  EXPECT_EQ(missing.status().code(), Code::kNotFound) << missing.status().to_string();
  EXPECT_FALSE(fs::exists(tmp.path() + "/none"));
  {
    auto store = must_open(options_for(tmp.path() + "/none", clock));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put(record(id_for(1), "x")));
  }
  auto found = open_local_store(look);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_TRUE(must_get(**found, id_for(1)).has_value());
}

// Another user could have made the directory (a pre-created /tmp path) or can write into it:
// its entries and key are not to be trusted, and a symlink could point anywhere.
TEST(LocalStoreTest, ADirectoryWritableByGroupOrOthersIsRefused) {
  TempDir tmp;
  ManualClock clock;
  const std::pair<mode_t, bool> modes[] = {{0700, true},  {0701, true},  {0710, true},
                                           {0750, true},  {0755, true},  {0702, false},
                                           {0720, false}, {0722, false}, {0777, false}};
  for (const auto& [mode, accepted] : modes) {
    SCOPED_TRACE(std::to_string(mode));
    const std::string dir = tmp.path() + "/m" + std::to_string(mode);
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(chmod(dir.c_str(), mode), 0);
    auto opened = open_local_store(options_for(dir, clock));
    if (accepted) {
      EXPECT_TRUE(opened) << opened.status().to_string();
    } else {
      EXPECT_EQ(opened.status().code(), Code::kInvalidArgument);
      EXPECT_NE(opened.status().message().find("writable by others"), std::string::npos)
          << opened.status().to_string();
      EXPECT_FALSE(fs::exists(dir + "/store.db"));
    }
  }
}

TEST(LocalStoreTest, ADirectoryThatIsASymlinkIsRefused) {
  TempDir tmp;
  ManualClock clock;
  ASSERT_EQ(mkdir((tmp.path() + "/real").c_str(), 0700), 0);
  ASSERT_EQ(symlink((tmp.path() + "/real").c_str(), (tmp.path() + "/link").c_str()), 0);
  auto opened = open_local_store(options_for(tmp.path() + "/link", clock));
  EXPECT_EQ(opened.status().code(), Code::kInvalidArgument) << opened.status().to_string();
  EXPECT_NE(opened.status().message().find("is not a directory"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp.path() + "/real/store.db"));
}

TEST(LocalStoreTest, UncreatableDirectoryIsIoErrorNamingPath) {
  TempDir tmp;
  ManualClock clock;
  std::ofstream(tmp.path() + "/a-file") << "not a directory";
  const std::string dir = tmp.path() + "/a-file/store";
  auto opened = open_local_store(options_for(dir, clock));
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), Code::kIoError);
  EXPECT_NE(opened.status().message().find(dir), std::string::npos) << opened.status().message();
  // The level that exists but is a file is passed over; the error is the directory's own.
  EXPECT_NE(opened.status().message().find("Not a directory"), std::string::npos)
      << opened.status().message();
}

TEST(LocalStoreTest, ADirectoryPathThatIsAFileIsIoErrorNotAStore) {
  TempDir tmp;
  ManualClock clock;
  const std::string file = tmp.path() + "/a-file";
  std::ofstream(file) << "not a directory";
  auto opened = open_local_store(options_for(file, clock));
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), Code::kIoError) << opened.status().to_string();
  EXPECT_NE(opened.status().message().find("File exists"), std::string::npos)
      << opened.status().message();
  // blobs/ as a file inside a store directory: the same.
  const std::string dir = tmp.path() + "/store";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  std::ofstream(dir + "/blobs") << "not a directory";
  EXPECT_EQ(open_local_store(options_for(dir, clock)).status().code(), Code::kIoError);
}

TEST(LocalStoreTest, ARelativeDirectoryIsCreatedLevelByLevel) {
  TempDir tmp;
  ManualClock clock;
  const fs::path before = fs::current_path();
  fs::current_path(tmp.path());
  auto opened = open_local_store(options_for("a/b/c", clock));  // one-letter first level
  fs::current_path(before);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  EXPECT_TRUE(fs::is_directory(tmp.path() + "/a/b/c/blobs"));
  EXPECT_EQ(mode_of(tmp.path() + "/a"), 0700u);
}

// --- damage ---

TEST(LocalStoreTest, CorruptedDatabaseFileIsCorruptionStatus) {
  TempDir tmp;
  ManualClock clock;
  const std::string db = tmp.path() + "/store.db";
  {
    std::ofstream out(db, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "garbage, not a database! ";
  }
  auto opened = open_local_store(options_for(tmp.path(), clock));
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), Code::kCorruption);
  EXPECT_NE(opened.status().message().find(db), std::string::npos) << opened.status().message();
}

TEST(LocalStoreTest, DamagedSchemaPageIsCorruptionStatus) {
  TempDir tmp;
  ManualClock clock;
  {
    auto store = must_open(options_for(tmp.path(), clock));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put(record(id_for(1), "x")));
  }  // the last connection checkpoints: store.db holds everything
  {
    // A valid 100-byte header, then garbage over the rest of page 1 (the schema).
    std::fstream f(tmp.path() + "/store.db", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    const std::string junk(3000, '\xff');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto opened = open_local_store(options_for(tmp.path(), clock));
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), Code::kCorruption) << opened.status().to_string();
}

TEST(LocalStoreTest, EveryNewerSchemaVersionIsRefused) {
  for (int version : {4, 9, 10, 1000}) {
    SCOPED_TRACE(version);
    TempDir tmp;
    ManualClock clock;
    { ASSERT_NE(must_open(options_for(tmp.path(), clock)), nullptr); }
    ASSERT_TRUE(exec_sql(tmp.path(), "PRAGMA user_version = " + std::to_string(version)));
    auto opened = open_local_store(options_for(tmp.path(), clock));
    ASSERT_FALSE(opened.is_ok());
    EXPECT_EQ(opened.status().code(), Code::kInvalidArgument);
    EXPECT_NE(opened.status().message().find("version " + std::to_string(version)),
              std::string::npos)
        << opened.status().message();
  }
}

size_t open_file_descriptors() {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++n;
  }
  return n;
}

TEST(LocalStoreTest, AStoreGivesBackEveryFileDescriptorItOpened) {
  TempDir tmp;
  ManualClock clock;
  const size_t before = open_file_descriptors();
  {
    auto store = must_open(options_for(tmp.path() + "/new", clock));  // creates store.db
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(store->put(record(id_for(i), envelope_for(id_for(i), 5000))));  // files
      ASSERT_TRUE(must_get(*store, id_for(i)).has_value());
    }
  }
  {
    // The clean-up at open walks the blob directories the puts made.
    auto store = must_open(options_for(tmp.path() + "/new", clock));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(must_get(*store, id_for(0)).has_value());
  }
  EXPECT_EQ(open_file_descriptors(), before);
}

TEST(LocalStoreTest, MissingBlobFileIsMiss) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 5000))));
  auto files = blob_files(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  ASSERT_EQ(unlink(files[0].c_str()), 0);
  auto got = store->get(id_for(1));
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_FALSE(got->has_value());
}

TEST(LocalStoreTest, TruncatedOrExtendedBlobFileIsMiss) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put(record(id_for(1), envelope_for(id_for(1), 5000))));
  auto files = blob_files(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  for (off_t size : {4999, 0, 5001}) {
    ASSERT_EQ(truncate(files[0].c_str(), size), 0);
    auto got = store->get(id_for(1));
    ASSERT_TRUE(got) << got.status().to_string();
    EXPECT_FALSE(got->has_value()) << size;
  }
}

// --- concurrency ---

TEST(LocalStoreTest, FourThreadsMixedOperationsHaveNoErrors) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock, /*max_bytes=*/0, /*inline_max=*/2048));
  ASSERT_NE(store, nullptr);

  std::mutex mu;
  std::vector<std::string> errors;
  std::map<std::string, std::string> own;  // id -> envelope, ids no other thread touches
  auto report = [&](const std::string& e) {
    std::lock_guard lock(mu);
    errors.push_back(e);
  };
  auto run = [&](int t) {
    unsigned seed = static_cast<unsigned>(t) * 7919u + 1u;
    auto pick = [&seed](int n) { return static_cast<int>(rand_r(&seed) % n); };
    for (int i = 0; i < 500; ++i) {
      const std::string where = "thread " + std::to_string(t) + " op " + std::to_string(i) + ": ";
      if (i % 10 == 0) {
        const std::string id = id_for(100'000 + t * 1000 + i);
        const std::string env =
            envelope_for(id, i % 20 == 0 ? 300 : 3000, static_cast<char>('a' + t));
        if (Status s = store->put(record(id, env)); !s) report(where + s.to_string());
        std::lock_guard lock(mu);
        own[id] = env;
        continue;
      }
      const std::string id = id_for(pick(32));
      const int dice = pick(100);
      if (dice < 40) {
        const size_t size = 100 + static_cast<size_t>(pick(5000));
        if (Status s = store->put(record(id, envelope_for(id, size, static_cast<char>('a' + t))));
            !s) {
          report(where + "put " + s.to_string());
        }
      } else if (dice < 75) {
        auto got = store->get(id);
        if (!got) {
          report(where + "get " + got.status().to_string());
        } else if (*got) {
          const std::string& env = (*got)->body;
          const std::string filler = env.substr(id.size());
          if (env.compare(0, id.size(), id) != 0 ||
              filler.find_first_not_of(filler.empty() ? 'x' : filler[0]) != std::string::npos) {
            report(where + "torn envelope");
          }
        }
      } else if (dice < 85) {
        Status s = store->touch(id, 5000, 9000);
        if (!s && s.code() != Code::kNotFound) report(where + "touch " + s.to_string());
      } else if (Status s = store->erase(id); !s) {
        report(where + "erase " + s.to_string());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(run, t);
  for (auto& th : threads) th.join();

  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first: " << errors.front();
  ASSERT_EQ(own.size(), 200u);
  for (const auto& [id, env] : own) {
    auto got = must_get(*store, id);
    ASSERT_TRUE(got.has_value()) << id;
    EXPECT_EQ(got->body, env) << id;
  }
}

std::map<std::string, std::string> read_manifest(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string id, hex;
  while (in >> id >> hex) {
    std::string bytes(hex.size() / 2, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    }
    out[id] = std::move(bytes);
  }
  return out;
}

TEST(LocalStoreTest, FourProcessesMixedOperationsLoseNothing) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/store";  // created by the workers, all at once
  constexpr int kWorkers = 4;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWorkers; ++w) {
    std::vector<std::string> args = {CACHEDATA_STRESS_WORKER_BIN, dir, std::to_string(w), "1000",
                                     tmp.path() + "/manifest-" + std::to_string(w)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
    EXPECT_EQ(rc, 0) << "spawn " << argv[0] << ": " << std::strerror(rc);
    if (rc == 0) pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "a worker failed (its error is on stderr), status " << status;
  }
  ASSERT_EQ(pids.size(), static_cast<size_t>(kWorkers));

  LocalStoreOptions options;
  options.dir = dir;
  options.max_bytes = 0;
  options.inline_max_bytes = 2048;  // as the workers
  auto store = must_open(options);
  ASSERT_NE(store, nullptr);
  for (int w = 0; w < kWorkers; ++w) {
    auto own = read_manifest(tmp.path() + "/manifest-" + std::to_string(w));
    EXPECT_EQ(own.size(), 100u) << "worker " << w;
    for (const auto& [id, env] : own) {
      auto got = must_get(*store, id);
      ASSERT_TRUE(got.has_value()) << "worker " << w << " lost " << id;
      EXPECT_EQ(got->body, env) << "worker " << w << " id " << id;
    }
  }
  // No file leaked by overwrites, erases or failed writes: one file per row stored as a file.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/store.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM entries WHERE blob_file IS NOT NULL", -1,
                               &q, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  const auto file_rows = static_cast<size_t>(sqlite3_column_int64(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(db);
  EXPECT_EQ(blob_files(dir).size(), file_rows);
}

TEST(LocalStoreTest, ReplaceHeadKeepsBodyInlineAndInFile) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock, 1 << 20, 1024));
  ASSERT_NE(store, nullptr);
  for (size_t size : {100u, 5000u}) {  // inline, then a file
    const std::string id = id_for(static_cast<unsigned>(size));
    ASSERT_TRUE(store->put(record(id, envelope_for(id, size), 1500, 2500)));
    const auto files_before = blob_files(tmp.path());
    ASSERT_TRUE(store->replace_head(id, "new head", 4000, 8000));
    auto got = must_get(*store, id);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->head, "new head");
    EXPECT_EQ(got->body, envelope_for(id, size));  // untouched
    EXPECT_EQ(got->expires, 4000);
    EXPECT_EQ(got->purge_at, 8000);
    EXPECT_EQ(blob_files(tmp.path()), files_before);  // no file rewritten
  }
  // The byte total follows the head's new length (1 byte became 8, twice).
  EXPECT_EQ(store->stats(1000)->bytes, 100u + 5000u + 2 * 8u);
}

TEST(LocalStoreTest, ReplaceHeadOfMissingOrPurgeableEntryIsNotFound) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->replace_head(id_for(1), "h2", 4000, 8000).code(), Code::kNotFound);
  ASSERT_TRUE(store->put(record(id_for(2), "body", 900, 1000)));
  EXPECT_EQ(store->replace_head(id_for(2), "h2", 4000, 8000).code(), Code::kNotFound);
  EXPECT_EQ(store->replace_head(id_for(2), "", 4000, 8000).code(), Code::kInvalidArgument);
}

TEST(LocalStoreTest, PutWithoutHeadIsInvalidArgument) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  StoredRecord r = record(id_for(1), "body");
  r.head.clear();
  EXPECT_EQ(store->put(r).code(), Code::kInvalidArgument);
}

// Version 3 added the leases table: a version 2 store gains it and keeps its entries.
TEST(LocalStoreTest, VersionTwoStoreGainsTheLeasesTableAndKeepsItsEntries) {
  TempDir tmp;
  ManualClock clock;
  {
    auto store = must_open(options_for(tmp.path(), clock));
    ASSERT_TRUE(store->put(record(id_for(1), "kept")));
  }
  ASSERT_TRUE(exec_sql(tmp.path(), "DROP TABLE leases; PRAGMA user_version = 2"));
  auto store = must_open(options_for(tmp.path(), clock));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(must_get(*store, id_for(1))->body, "kept");
  const int64_t now_ms = clock.now->load() * 1000;
  EXPECT_TRUE(store->try_lease(id_for(1), "a", now_ms + 1000, now_ms).value());
  EXPECT_FALSE(store->try_lease(id_for(1), "b", now_ms + 1000, now_ms).value());
}

TEST(LocalStoreTest, ASweepDeletesTheLeasesOfHoldersThatDied) {
  TempDir tmp;
  ManualClock clock;
  auto store = must_open(options_for(tmp.path(), clock));
  const int64_t now_ms = clock.now->load() * 1000;
  ASSERT_TRUE(store->try_lease(id_for(1), "dead", now_ms + 1000, now_ms).value());
  ASSERT_TRUE(store->try_lease(id_for(2), "alive", now_ms + 60'000, now_ms).value());
  ASSERT_TRUE(store->sweep(clock.now->load() + 1).is_ok());
  EXPECT_EQ(query_int(tmp.path(), "SELECT COUNT(*) FROM leases"), 1);
  EXPECT_EQ(query_int(tmp.path(), "SELECT COUNT(*) FROM leases WHERE holder='alive'"), 1);
}

TEST(LocalStoreTest, VersionOneStoreIsEmptiedAndRecreated) {
  TempDir tmp;
  ManualClock clock;
  const std::string dir = tmp.path() + "/store";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/store.db").c_str(), &db), SQLITE_OK);
  // The version 1 layout: one envelope column.
  std::string sql = std::string(
                        "CREATE TABLE entries(id TEXT PRIMARY KEY NOT NULL, expires INTEGER NOT "
                        "NULL, purge_at INTEGER NOT NULL, size INTEGER NOT NULL, last_access "
                        "INTEGER NOT NULL, blob_file TEXT, envelope BLOB);"
                        "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);"
                        "INSERT INTO meta VALUES('bytes', 3);"
                        "INSERT INTO entries VALUES('") +
                    id_for(1) + "', 5000, 9000, 3, 1, NULL, 'abc'); PRAGMA user_version = 1;";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  auto store = must_open(options_for(dir, clock));
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(must_get(*store, id_for(1)).has_value());  // a cache: emptied, not migrated
  ASSERT_TRUE(store->put(record(id_for(2), "body")));
  EXPECT_EQ(must_get(*store, id_for(2))->body, "body");
  EXPECT_EQ(store->stats(1000)->bytes, 5u);
}

}  // namespace
}  // namespace cachedata::store
