#include "store/memory_store.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "base/unix_clock.hpp"

namespace cachedata::store {
namespace {

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::function<int64_t()> now_seconds)
      : now_seconds_(std::move(now_seconds)) {}

  Result<std::optional<StoredRecord>> get(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = live(id);
    if (it == records_.end()) return std::optional<StoredRecord>();
    it->second.use = ++uses_;
    it->second.last_access = now();
    return std::optional<StoredRecord>(it->second.record);
  }
  Status put(const StoredRecord& record) override {
    std::lock_guard lock(mu_);
    records_[record.id] = Slot{record, ++uses_, now()};
    return Status::ok();
  }
  using Store::replace_head;
  using Store::touch;
  Status touch(std::string_view id, int64_t expires, int64_t purge_at,
               std::optional<int64_t> if_expires) override {
    std::lock_guard lock(mu_);
    auto it = live(id);
    if (it == records_.end()) return Status::not_found("no entry " + std::string(id));
    if (Status s = check_expiry(it->second.record, if_expires); !s) return s;
    it->second.record.expires = expires;
    it->second.record.purge_at = purge_at;
    return Status::ok();
  }
  Status replace_head(std::string_view id, std::string_view head, int64_t expires, int64_t purge_at,
                      std::optional<int64_t> if_expires) override {
    std::lock_guard lock(mu_);
    auto it = live(id);
    if (it == records_.end()) return Status::not_found("no entry " + std::string(id));
    if (Status s = check_expiry(it->second.record, if_expires); !s) return s;
    it->second.record.head = std::string(head);
    it->second.record.expires = expires;
    it->second.record.purge_at = purge_at;
    return Status::ok();
  }
  Status erase(std::string_view id) override {
    std::lock_guard lock(mu_);
    records_.erase(std::string(id));
    return Status::ok();
  }
  Result<uint64_t> sweep(int64_t now) override {
    std::lock_guard lock(mu_);
    return static_cast<uint64_t>(
        std::erase_if(records_, [&](const auto& kv) { return kv.second.record.purge_at <= now; }));
  }
  Result<std::vector<EntryInfo>> list(size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<uint64_t, EntryInfo>> all;
    for (const auto& [id, slot] : records_) {
      all.push_back({slot.use, EntryInfo{id, slot.record.expires, slot.record.purge_at,
                                         slot.record.size(), slot.last_access}});
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<EntryInfo> out;
    for (size_t i = 0; i < all.size() && i < limit; ++i) out.push_back(all[i].second);
    return out;
  }
  Result<uint64_t> clear() override {
    std::lock_guard lock(mu_);
    uint64_t n = records_.size();
    records_.clear();
    return n;
  }
  Result<StoreStats> stats(int64_t now) override {
    std::lock_guard lock(mu_);
    StoreStats s;
    for (const auto& [id, slot] : records_) {
      ++s.entries;
      s.bytes += slot.record.size();
      if (slot.record.expires <= now) ++s.expired_entries;
      if (slot.record.purge_at <= now) ++s.purgeable_entries;
    }
    return s;
  }
  Result<bool> try_lease(std::string_view id, std::string_view holder, int64_t until_ms,
                         int64_t now_ms) override {
    std::lock_guard lock(mu_);
    if (leases_.size() >= kMaxLeases) {
      // Only a holder that never released (an exception in its get) leaves one behind.
      std::erase_if(leases_, [&](const auto& kv) { return kv.second.until_ms <= now_ms; });
    }
    auto [it, inserted] = leases_.try_emplace(std::string(id));
    if (!inserted && it->second.holder != holder && it->second.until_ms > now_ms) return false;
    it->second = Lease{std::string(holder), until_ms};
    return true;
  }
  Status release_lease(std::string_view id, std::string_view holder) override {
    std::lock_guard lock(mu_);
    auto it = leases_.find(id);
    if (it != leases_.end() && it->second.holder == holder) leases_.erase(it);
    return Status::ok();
  }
  std::string describe() const override { return "memory-store"; }

 private:
  struct Slot {
    StoredRecord record;
    uint64_t use;         // the order of uses: unique, so list's order is exact
    int64_t last_access;  // unix seconds of the last use, as EntryInfo reports it
  };
  using Map = std::map<std::string, Slot, std::less<>>;
  static constexpr size_t kMaxLeases = 4096;
  struct Lease {
    std::string holder;
    int64_t until_ms = 0;
  };

  int64_t now() const { return base::unix_seconds(now_seconds_); }
  static Status check_expiry(const StoredRecord& record, std::optional<int64_t> if_expires) {
    if (!if_expires || record.expires == *if_expires) return Status::ok();
    return Status::conflict("entry " + record.id.substr(0, 12) + " expires at " +
                            std::to_string(record.expires) + ", not " +
                            std::to_string(*if_expires));
  }
  // The record with `id` unless it is at or past its purge time (then it is only waiting for a
  // sweep); records_.end() otherwise. Called with mu_ held.
  Map::iterator live(std::string_view id) {
    auto it = records_.find(id);
    if (it == records_.end() || it->second.record.purge_at <= now()) return records_.end();
    return it;
  }

  const std::function<int64_t()> now_seconds_;
  std::mutex mu_;
  Map records_;
  std::map<std::string, Lease, std::less<>> leases_;  // an entry's lease outlives its erase
  uint64_t uses_ = 0;
};

}  // namespace

std::unique_ptr<Store> make_memory_store(std::function<int64_t()> now_seconds) {
  return std::make_unique<MemoryStore>(std::move(now_seconds));
}

}  // namespace cachedata::store

namespace cachedata {

std::unique_ptr<Store> make_memory_store() {
  return store::make_memory_store();
}

}  // namespace cachedata
