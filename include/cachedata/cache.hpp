// Cache: the read-through cache. get() derives the request's id, looks in the in-memory tier,
// then in the store, and on a miss (or an expired entry) calls the fetcher, stores the answer
// and returns it. The application never manages the cache.
//
// A Cache is safe to use from many threads at once; open one per process and share it.
// A store that fails never fails a get(): the source's answer is still returned and the store
// error is logged and counted (stats()). See docs/DESIGN.md for the state table of get().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "cachedata/config.hpp"
#include "cachedata/data_source.hpp"
#include "cachedata/headers.hpp"
#include "cachedata/key_source.hpp"
#include "cachedata/profile.hpp"
#include "cachedata/request.hpp"
#include "cachedata/response.hpp"
#include "cachedata/status.hpp"
#include "cachedata/store.hpp"

namespace cachedata {

namespace detail {
struct CacheState;  // defined in src/core/cache.cpp
}

class GetResult {
 public:
  // What a result is made of. Cache::get fills it; public so that an application's own tests can
  // build the results a fake cache returns.
  struct Parts {
    DataSource source = DataSource::kErrorOriginal;
    int status_code = 0;
    Headers headers;
    std::shared_ptr<const std::string> body;
    std::chrono::system_clock::time_point expires{};
    std::chrono::microseconds elapsed{0};
    std::string error;
    bool stale = false;
    bool rejected = false;
    bool joined = false;
  };
  GetResult() = default;
  explicit GetResult(Parts parts) : parts_(std::move(parts)) {}

  DataSource source() const { return parts_.source; }
  std::string_view source_name() const { return to_string(parts_.source); }
  // An answer is available (every source but error:original).
  bool ok() const { return parts_.source != DataSource::kErrorOriginal; }
  // The origin's status code (200, 404…); 0 when the source could not be reached.
  int status_code() const { return parts_.status_code; }
  // The retained origin headers plus x-cprxy-data-source.
  const Headers& headers() const { return parts_.headers; }
  const std::string& body() const;
  // The same bytes, shared with the cache (null for an empty body): keeps them alive without a
  // copy after the result is gone.
  std::shared_ptr<const std::string> shared_body() const { return parts_.body; }
  // Served past its expiry: error:cache, or "cache" / "cache:memory" within a
  // stale-while-revalidate window while a background refresh runs.
  bool stale() const { return parts_.stale; }
  std::chrono::system_clock::time_point expires() const { return parts_.expires; }
  // Wall time spent in get().
  std::chrono::microseconds elapsed() const { return parts_.elapsed; }
  // Why the source failed (error:cache, error:original), or why the get was rejected.
  const std::string& error() const { return parts_.error; }
  // The profile or the request was invalid (a negative TTL, an unknown time zone, a URI that is
  // not http(s)): the caller's error, with source error:original, found before any entry was
  // served or the source called. A source failure is never rejected().
  bool rejected() const { return parts_.rejected; }
  // The answer of a call to the source another get in this process was making for the same
  // entry at the same time (single flight): this get waited for it instead of calling again.
  bool joined() const { return parts_.joined; }
  const Parts& parts() const { return parts_; }

 private:
  Parts parts_;
};

// Counters since the Cache was opened.
struct CacheStats {
  uint64_t gets = 0;
  uint64_t memory_hits = 0;
  uint64_t store_hits = 0;
  uint64_t misses = 0;        // no usable entry: the source was called
  uint64_t fetches = 0;       // calls to the fetcher
  uint64_t not_modified = 0;  // 304 revalidations
  uint64_t stale_served = 0;  // error:cache
  uint64_t origin_failures = 0;
  uint64_t negative_hits = 0;  // remembered failures answered without calling the source
  uint64_t store_read_errors = 0;
  uint64_t store_write_errors = 0;
  uint64_t corrupt_entries = 0;  // entries that failed to open (treated as misses)
  uint64_t not_stored = 0;       // answers the policy did not store (no-store, negative_ttl 0)
  uint64_t stale_while_revalidate = 0;  // stale answers served while a refresh ran
  uint64_t background_refreshes = 0;    // refreshes run off the caller's thread
  uint64_t single_flight_waits = 0;     // gets that waited for another get's call to the source
  uint64_t lease_waits = 0;  // gets that found the lease held elsewhere (served stale or waited)
  uint64_t early_refreshes = 0;  // fresh hits that started an early refresh (XFetch)
};

// Called once for every finished get() with its result (source, status, elapsed, stale): where an
// application feeds its own metrics (stats() gives the totals). Called on the caller's thread, and
// on the refresher's for background refreshes, so it must be thread-safe and quick.
using GetObserver = std::function<void(const Request&, const GetResult&)>;

// What a Cache is made of besides its settings. Cache::open(Config) builds them from the Config:
// the store it names, the key from a key file, SSM, Config::keys or the embedded store's
// data.key, and Config::clock / Config::log_sink. A program with parts of its own builds them and
// calls Cache::open(Config, CacheParts); the Config then only gives the settings (memory tier,
// log level, instance id, purge window, time zone) and its store and key fields are not read.
// (Every member has an initializer so a caller can name only the parts it gives:
// CacheParts{.store = s, .key_source = k}.)
struct CacheParts {
  std::shared_ptr<Store> store{};           // nullptr: the memory tier alone
  std::shared_ptr<KeySource> key_source{};  // required: the key new entries are sealed with
  std::vector<DataKey> older_keys{};        // also tried when opening entries (earlier rotations)
  // The clock that dates entries and decides freshness. Empty: Config::clock, else the system
  // clock. (A store has its own clock: give it the same one.)
  std::function<std::chrono::system_clock::time_point()> clock{};
  LogSink log_sink{};      // where log lines go. Empty: Config::log_sink, else stderr
  GetObserver observer{};  // empty: none
};

class Cache {
 public:
  // Validates `config`, opens the store and loads (or, for the embedded store, creates) the key.
  static Result<std::unique_ptr<Cache>> open(Config config);
  // A Cache on parts the caller made (see CacheParts); `config` gives the settings.
  static Result<std::unique_ptr<Cache>> open(Config config, CacheParts parts);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Never throws; a fetcher that throws is treated as a source failure. Gets of one entry that
  // need the source at the same time make one call (docs/DESIGN.md, "One origin call"): in this
  // process the others wait for it (Request::max_wait); across processes sharing a store, the
  // profile's refresh_lease. A fetcher must not get() the entry it is fetching. Within a
  // stale-while-revalidate window (Profile::stale_while_revalidate, or the origin's directive)
  // the fetcher is copied and called once more from a background thread after get() returns:
  // it must stay callable until the Cache is destroyed (the destructor waits for that call).
  GetResult get(const Profile& profile, const Request& request, const Fetcher& fetcher);

  // As get(), without holding a thread while the source answers. The memory tier and the store
  // are looked in on the calling thread; a hit (or any result that needs no source) calls
  // `done` there, before get_async returns. Otherwise the fetcher is started and get_async
  // returns; when it answers, the answer is stored and `done` is called on one of the cache's
  // completion threads (a small fixed pool, never the fetcher's network thread). Gets of one
  // entry that need the source at the same time share one call, with get()'s as well.
  // `done` must be quick and must not throw; Request::max_wait does not apply (the caller waits
  // as it likes: see the future overload). ~Cache waits for the calls in flight to end.
  void get_async(const Profile& profile, const Request& request, AsyncFetcher fetcher,
                 std::function<void(GetResult)> done);
  std::future<GetResult> get_async(const Profile& profile, const Request& request,
                                   AsyncFetcher fetcher);

  // Blocks until every background refresh scheduled so far has finished (or been dropped). A
  // short-lived program (the CLI) calls it before exiting, since the destructor drops the
  // refreshes that have not started yet.
  void wait_for_background_refreshes();

  // The request's id (64 hex characters) under the current key, as the store knows it.
  Result<std::string> id_of(const Profile& profile, const Request& request) const;
  // Removes the request's entry from the memory tier and the store.
  Status purge(const Profile& profile, const Request& request);

  CacheStats stats() const;

 private:
  explicit Cache(std::unique_ptr<detail::CacheState> state);
  std::unique_ptr<detail::CacheState> impl_;
};

}  // namespace cachedata
