// MemoryTier: the in-process tier in front of any store. Holds opened (decrypted) entries,
// bounded in bytes (not entries), least-recently-used first out. Sharded: each shard has its own
// lock and an equal share of the byte bound, so threads on different ids rarely contend.
// Entries are shared immutable objects; a hit copies a pointer, never the body. Each slot keeps
// the entry's current expiry beside it, so extending an entry (304, stale-on-error) does not
// copy the entry. Safe from many threads.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/entry.hpp"

namespace cachedata::core {

struct MemoryHit {
  std::shared_ptr<const Entry> entry;
  int64_t expires = 0;  // unix seconds
};

class MemoryTier {
 public:
  explicit MemoryTier(uint64_t max_bytes, size_t shard_count = 16);

  std::optional<MemoryHit> get(std::string_view id);
  // Inserts or replaces. An entry larger than a shard's share of the bound is not kept.
  void put(std::string_view id, std::shared_ptr<const Entry> entry, int64_t expires);
  // Updates the expiry of a held entry; false if it is not held.
  bool extend(std::string_view id, int64_t expires);
  void erase(std::string_view id);
  void clear();

  uint64_t bytes() const;
  size_t entries() const;
  uint64_t max_bytes() const { return max_bytes_; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Slot {
    std::shared_ptr<const Entry> entry;
    int64_t expires = 0;
    size_t bytes = 0;
    std::list<std::string>::iterator lru;  // position in Shard::lru (front = most recent)
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Slot, StringHash, std::equal_to<>> slots;
    std::list<std::string> lru;
    uint64_t bytes = 0;
  };

  Shard& shard_for(std::string_view id);

  uint64_t max_bytes_;
  uint64_t shard_max_bytes_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace cachedata::core
