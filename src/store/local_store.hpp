// The embedded local store (the default): an SQLite 3 database in WAL mode holds the index, the
// heads and the small bodies; bodies larger than `inline_max_bytes` are files under blobs/, written
// to a temporary name and renamed into place. Safe for many threads and many processes on one
// directory at once. Size-capped with least-recently-used eviction; entries past their purge
// time are swept. Every file it creates is 0600 and the directory 0700.
// The on-disk layout is described in docs/FORMAT.md, "Local store".
//
// Approximations, to keep reads cheap: a read rewrites an entry's last access (the LRU order,
// EntryInfo::last_access) only when the stored value is at least 60 s old, so most hits write
// nothing, and eviction order is exact only to the minute. An entry past its purge time is a
// miss for get() and kNotFound for touch() and replace_head() at once, but it stays in list() and
// stats() until swept: at open, by a put at most once a minute, or by sweep(). A blob file lost to
// a race with another process (overwrite, eviction), or of the wrong size, is a miss, not an error.
// Errors name the directory or file: kCorruption for a damaged database, kInvalidArgument for a
// database of a newer schema version, kUnavailable when another process holds the write lock
// for more than 10 s, kIoError for a failing file system.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cachedata/status.hpp"
#include "cachedata/store.hpp"
#include "store/file_calls.hpp"

namespace cachedata::store {

struct LocalStoreOptions {
  std::string dir;                           // created (0700) when missing
  uint64_t max_bytes = 1ull << 30;           // cap on the head + body bytes held; 0: unbounded
  uint64_t inline_max_bytes = 128ull << 10;  // larger bodies go to files
  // Clock for last-access and sweeping (unix seconds). Empty: the system clock.
  std::function<int64_t()> now_seconds;
  // Tools that only look (inspect, stats, purge --expired) open without creating a store and
  // without the sweep an open otherwise does, so they report what is there.
  bool create_if_missing = true;
  bool sweep_on_open = true;
  // The calls made on blob files (tests make them fail). Empty: POSIX.
  std::shared_ptr<FileCalls> file_calls;
};

Result<std::unique_ptr<Store>> open_local_store(LocalStoreOptions options);

}  // namespace cachedata::store
