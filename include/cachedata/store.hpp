// Store: where sealed entries live (the embedded local store, the memory-only store, and the
// shared DynamoDB + S3 store). A store sees an entry only as an id, its expiry and purge times
// and two opaque sealed parts (docs/FORMAT.md, "Envelope"): a small head (status, headers,
// validators) and the body. They are separate so that a revalidation (304) can replace the head
// and the expiry without rewriting a body that may be megabytes. A store never needs the data
// key and never looks inside either part; the head names the body it belongs to, so a head and a
// body from two different writes never open together (the cache treats that as a miss).
//
// A store that reads a body part as a stream (the shared store's S3 object) can hand it to a
// BodySink piece by piece as it arrives (get_streaming), so that the reader opens a large body
// while the rest is still on the wire instead of after the last byte.
//
// Every implementation is safe to call from many threads at once. Errors are values: a store
// that is down returns kUnavailable / kIoError and the cache carries on without it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cachedata/status.hpp"

namespace cachedata {

struct StoredRecord {
  std::string id;        // the request id as 64 lowercase hex characters
  int64_t expires = 0;   // unix seconds: fresh until then
  int64_t purge_at = 0;  // unix seconds: the store may delete the entry from then on
  std::string head;      // sealed head part; never empty in a stored record
  std::string body;      // sealed body part; empty when the entry has no body

  uint64_t size() const { return head.size() + body.size(); }
};

struct EntryInfo {
  std::string id;
  int64_t expires = 0;
  int64_t purge_at = 0;
  uint64_t size = 0;        // bytes of head + body
  int64_t last_access = 0;  // unix seconds, approximate (see the store's notes)
};

struct StoreStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;            // head + body bytes held
  uint64_t capacity_bytes = 0;   // 0: unbounded
  uint64_t expired_entries = 0;  // entries past their expiry (still servable stale)
  uint64_t purgeable_entries = 0;
};

// Receives one record's body part as the store reads it. Contract of Store::get_streaming:
//   - begin(record, size) first, once the record is known and before any body byte (`record.body`
//     is empty); false: the reader does not want this body (say, its head does not open), and
//     the store skips reading it;
//   - then write() with the body part's bytes, in order, `size` bytes in all; false stops the
//     reading;
//   - the store returns the record with an empty body. Whether the body was complete and
//     authentic is the sink's to judge (the store still checks what it can: a body part that
//     is missing, short or not the one the record names makes get_streaming return no record).
// A sink whose begin() was never called was not used: the record carries its body as by get().
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual bool begin(const StoredRecord& record, uint64_t size) = 0;
  virtual bool write(std::string_view bytes) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // The record with `id`, std::nullopt when there is none (or it is past its purge time).
  virtual Result<std::optional<StoredRecord>> get(std::string_view id) = 0;
  // As get(), but the store may hand a body it reads as a stream to `sink` (see BodySink). The
  // default reads as get() does and never uses the sink.
  virtual Result<std::optional<StoredRecord>> get_streaming(std::string_view id, BodySink& sink) {
    (void)sink;
    return get(id);
  }
  // Inserts or replaces the record with the same id.
  virtual Status put(const StoredRecord& record) = 0;
  // Sets expiry and purge time of an existing record without rewriting its parts.
  // kNotFound when there is no such record. With `if_expires`, a compare-and-set: only when the
  // record's expiry is still that value (the one the caller read), else kConflict and nothing
  // changes, so of two refreshers of one entry the second never undoes the first's work.
  virtual Status touch(std::string_view id, int64_t expires, int64_t purge_at,
                       std::optional<int64_t> if_expires) = 0;
  Status touch(std::string_view id, int64_t expires, int64_t purge_at) {
    return touch(id, expires, purge_at, std::nullopt);
  }
  // Replaces the head, expiry and purge time of an existing record, keeping its body as it is
  // (a 304 answer). kNotFound when there is no such record; `if_expires` as for touch().
  virtual Status replace_head(std::string_view id, std::string_view head, int64_t expires,
                              int64_t purge_at, std::optional<int64_t> if_expires) = 0;
  Status replace_head(std::string_view id, std::string_view head, int64_t expires,
                      int64_t purge_at) {
    return replace_head(id, head, expires, purge_at, std::nullopt);
  }
  virtual Status erase(std::string_view id) = 0;
  // Deletes every record whose purge time is at or before `now`; returns how many.
  virtual Result<uint64_t> sweep(int64_t now) = 0;
  // Up to `limit` records' metadata, most recently used first where the store keeps that order
  // (the local store); a store that cannot (the shared store: a DynamoDB Scan) lists in its own
  // order.
  virtual Result<std::vector<EntryInfo>> list(size_t limit) = 0;
  // Deletes every record; returns how many.
  virtual Result<uint64_t> clear() = 0;
  virtual Result<StoreStats> stats(int64_t now) = 0;
  // Refresh leases (docs/DESIGN.md, "One origin call"): before calling the source for `id`, a
  // cache takes the lease, so that of the processes and instances sharing this store one calls
  // the source and the others wait for its answer. Granted (true) when nobody holds the lease or
  // its holder's `until_ms` is at or before `now_ms` (a holder that died); taken in one atomic
  // step, so of two takers at most one is granted. A holder taking its own lease again renews
  // it. Times are unix milliseconds. The default grants every lease: right for a store that
  // only one process uses (the memory store), where the cache's own single flight suffices.
  virtual Result<bool> try_lease(std::string_view id, std::string_view holder, int64_t until_ms,
                                 int64_t now_ms) {
    (void)id, (void)holder, (void)until_ms, (void)now_ms;
    return true;
  }
  // Gives the lease up if `holder` still holds it (a lease taken over by another is left alone).
  virtual Status release_lease(std::string_view id, std::string_view holder) {
    (void)id, (void)holder;
    return Status::ok();
  }

  // "local:/home/u/.cache/cachedata", "memory" — for logs and the CLI.
  virtual std::string describe() const = 0;
};

// A Store in this process's memory: sealed records in a map, with the purge rule, gone when the
// process ends. For tests of an application's own code, and for a program that links the core
// alone (cachedata::core) and wants the store path without a disk or a network.
std::unique_ptr<Store> make_memory_store();

}  // namespace cachedata
