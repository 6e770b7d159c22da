// cachedata micro-benchmarks (Google Benchmark). Each cachedata operation stands beside the bare
// operation it wraps, in the same run, so BENCHMARKS.md can report ratios:
//   - request id, envelope seal/open at 1 KB, 100 KB, 1 MB;
//   - memory-tier hit: the tier lookup alone and a whole Cache::get served from memory;
//   - local-store hit at 1 KB and 100 KB: Store::get and a whole Cache::get (memory tier off),
//     next to a bare SQLite point read of the same bytes (prepared statement, same pragmas).
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "cachedata/cache.hpp"
#include "core/envelope.hpp"
#include "core/memory_tier.hpp"
#include "core/request_id.hpp"
#include "crypto/keyring.hpp"
#include "store/local_store.hpp"

namespace {

using namespace cachedata;

// JSON-like text: compressible like real API answers, but not trivially.
std::string payload(size_t bytes) {
  std::string out;
  out.reserve(bytes + 64);
  uint32_t x = 2463534242u;
  while (out.size() < bytes) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out += "{\"id\":" + std::to_string(x % 100000) + ",\"name\":\"item-" + std::to_string(x) +
           "\",\"price\":" + std::to_string((x >> 7) % 10000) + "},";
  }
  out.resize(bytes);
  return out;
}

std::string temp_dir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "cachedata-bench-XXXXXX").string();
  return ::mkdtemp(pattern.data());
}

Request sample_request() {
  Request r = Request::get("https://api.example.com/v1/items?page=2&limit=50");
  r.headers.add("Accept", "application/json");
  r.headers.add("Authorization", "Bearer 0123456789abcdef");
  return r;
}

void BM_RequestId(benchmark::State& state) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  Profile profile;
  Request r = sample_request();
  for (auto _ : state)
    benchmark::DoNotOptimize(core::request_id(keys.current().id_mac, profile, r));
}
BENCHMARK(BM_RequestId);

core::Entry entry_of(size_t bytes) {
  core::Entry e;
  e.status_code = 200;
  e.headers.add("Content-Type", "application/json");
  e.body = std::make_shared<const std::string>(payload(bytes));
  return e;
}

void BM_EnvelopeSeal(benchmark::State& state) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  core::Entry e = entry_of(static_cast<size_t>(state.range(0)));
  std::string id(64, 'a');
  for (auto _ : state) benchmark::DoNotOptimize(core::seal_entry(e, id, keys.current(), true));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EnvelopeSeal)->Arg(1 << 10)->Arg(100 << 10)->Arg(1 << 20);

void BM_EnvelopeOpen(benchmark::State& state) {
  crypto::Keyring keys({DataKey::generate()}, "default");
  std::string id(64, 'a');
  core::Entry e = entry_of(static_cast<size_t>(state.range(0)));
  core::SealedEntry sealed = core::seal_entry(e, id, keys.current(), true);
  for (auto _ : state) {
    // The copy stands for the store's read: open_entry decrypts the body it is given in place.
    benchmark::DoNotOptimize(core::open_entry(sealed.head, std::string(sealed.body), id, keys));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EnvelopeOpen)->Arg(1 << 10)->Arg(100 << 10)->Arg(1 << 20);

void BM_MemoryTierLookup(benchmark::State& state) {
  core::MemoryTier tier(64 << 20);
  std::string id(64, 'a');
  tier.put(id, std::make_shared<const core::Entry>(entry_of(1 << 10)), INT64_MAX);
  for (auto _ : state) benchmark::DoNotOptimize(tier.get(id));
}
BENCHMARK(BM_MemoryTierLookup);

Response answer(size_t bytes) {
  Response r;
  r.status_code = 200;
  r.headers.add("Content-Type", "application/json");
  r.body = payload(bytes);
  return r;
}

void BM_CacheGetMemoryHit(benchmark::State& state) {
  Config config;
  config.store = Config::StoreKind::kMemoryOnly;
  auto cache = Cache::open(config).value();
  Request r = sample_request();
  Profile profile;
  Response a = answer(1 << 10);
  Fetcher fetcher = [&](const Request&, const Validators&) { return a; };
  cache->get(profile, r, fetcher);
  for (auto _ : state) {
    GetResult result = cache->get(profile, r, fetcher);
    if (result.source() != DataSource::kCacheMemory) state.SkipWithError("not a memory hit");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_CacheGetMemoryHit);

// The same 1 KB memory-tier hit from 1 to 8 threads on one Cache: items_per_second is the
// total (real time), so the curve shows whether hits scale or collapse under contention.
void BM_CacheGetMemoryHitThreads(benchmark::State& state) {
  static std::unique_ptr<Cache> cache;
  static const Response a = answer(1 << 10);
  static const Fetcher fetcher = [](const Request&, const Validators&) { return a; };
  static const Profile profile;
  static const Request r = sample_request();
  if (state.thread_index() == 0) {
    Config config;
    config.store = Config::StoreKind::kMemoryOnly;
    cache = Cache::open(config).value();
    cache->get(profile, r, fetcher);
  }
  // Google Benchmark starts every thread's loop together, after thread 0's setup above.
  for (auto _ : state) {
    GetResult result = cache->get(profile, r, fetcher);
    if (result.source() != DataSource::kCacheMemory) state.SkipWithError("not a memory hit");
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) cache.reset();
}
BENCHMARK(BM_CacheGetMemoryHitThreads)->ThreadRange(1, 8)->UseRealTime();

// --- local store hit vs a bare SQLite point read of the same bytes ---

void BM_LocalStoreGet(benchmark::State& state) {
  std::string dir = temp_dir();
  store::LocalStoreOptions options;
  options.dir = dir;
  auto store = store::open_local_store(options).value();
  crypto::Keyring keys({DataKey::generate()}, "default");
  std::string id(64, 'b');
  core::Entry e = entry_of(static_cast<size_t>(state.range(0)));
  core::SealedEntry sealed = core::seal_entry(e, id, keys.current(), true);
  const size_t sealed_bytes = sealed.head.size() + sealed.body.size();
  store->put(StoredRecord{id, INT64_MAX / 4, INT64_MAX / 4, sealed.head, sealed.body});
  for (auto _ : state) {
    auto got = store->get(id);
    if (!got || !got->has_value()) state.SkipWithError("miss");
    benchmark::DoNotOptimize(got);
  }
  state.counters["sealed_bytes"] = static_cast<double>(sealed_bytes);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LocalStoreGet)->Arg(1 << 10)->Arg(100 << 10);

void BM_CacheGetLocalStoreHit(benchmark::State& state) {
  std::string dir = temp_dir();
  Config config;
  config.store_dir = dir;
  config.memory_max_bytes = 0;  // every get reads the store
  config.log_level = LogLevel::kOff;
  auto cache = Cache::open(config).value();
  Request r = sample_request();
  Profile profile;
  Response a = answer(static_cast<size_t>(state.range(0)));
  Fetcher fetcher = [&](const Request&, const Validators&) { return a; };
  cache->get(profile, r, fetcher);
  for (auto _ : state) {
    GetResult result = cache->get(profile, r, fetcher);
    if (result.source() != DataSource::kCache) state.SkipWithError("not a store hit");
    benchmark::DoNotOptimize(result);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CacheGetLocalStoreHit)->Arg(1 << 10)->Arg(100 << 10);

void BM_BareSqlitePointRead(benchmark::State& state) {
  std::string dir = temp_dir();
  sqlite3* db = nullptr;
  sqlite3_open((dir + "/bare.db").c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
               "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v BLOB) WITHOUT ROWID;",
               nullptr, nullptr, nullptr);
  // The same number of bytes a sealed envelope of this body takes.
  crypto::Keyring keys({DataKey::generate()}, "default");
  std::string id(64, 'b');
  core::Entry e = entry_of(static_cast<size_t>(state.range(0)));
  core::SealedEntry sealed = core::seal_entry(e, id, keys.current(), true);
  std::string bytes = sealed.head + sealed.body;
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?, ?)", -1, &insert, nullptr);
  sqlite3_bind_text(insert, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
  sqlite3_bind_blob(insert, 2, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  sqlite3_step(insert);
  sqlite3_finalize(insert);
  sqlite3_stmt* select = nullptr;
  sqlite3_prepare_v2(db, "SELECT v FROM t WHERE id = ?", -1, &select, nullptr);
  for (auto _ : state) {
    sqlite3_bind_text(select, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    if (sqlite3_step(select) != SQLITE_ROW) state.SkipWithError("miss");
    // Copy the bytes out, as any store must to hand them to its caller.
    std::string out(static_cast<const char*>(sqlite3_column_blob(select, 0)),
                    static_cast<size_t>(sqlite3_column_bytes(select, 0)));
    benchmark::DoNotOptimize(out);
    sqlite3_reset(select);
  }
  sqlite3_finalize(select);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BareSqlitePointRead)->Arg(1 << 10)->Arg(100 << 10);

}  // namespace

BENCHMARK_MAIN();
