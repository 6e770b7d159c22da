// A Store wrapper that fails on demand: reads, writes or both, as a store that is down would.
#pragma once

#include <atomic>
#include <memory>
#include <new>

#include "cachedata/store.hpp"

namespace cachedata::testing {

class FaultyStore final : public Store {
 public:
  explicit FaultyStore(std::shared_ptr<Store> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> fail_reads{false};
  std::atomic<bool> fail_writes{false};
  std::atomic<int> writes{0};
  std::atomic<int> touches{0};
  std::atomic<int> head_replacements{0};
  // The entry is erased just before the next touch, as by another process's purge between a
  // get's lookup and its extension of what it found.
  std::atomic<bool> erase_before_touch{false};
  // Reads throw std::bad_alloc, as a process out of memory would.
  std::atomic<bool> throw_on_read{false};

  Result<std::optional<StoredRecord>> get(std::string_view id) override {
    if (throw_on_read) throw std::bad_alloc();
    if (fail_reads) return Status::unavailable("injected: store is down");
    return inner_->get(id);
  }
  Status put(const StoredRecord& r) override {
    ++writes;
    if (fail_writes) return Status::unavailable("injected: store is down");
    return inner_->put(r);
  }
  using Store::replace_head;
  using Store::touch;
  Status touch(std::string_view id, int64_t e, int64_t p, std::optional<int64_t> if_e) override {
    ++touches;
    if (fail_writes) return Status::unavailable("injected: store is down");
    if (erase_before_touch.exchange(false)) (void)inner_->erase(id);
    return inner_->touch(id, e, p, if_e);
  }
  Status replace_head(std::string_view id, std::string_view head, int64_t e, int64_t p,
                      std::optional<int64_t> if_e) override {
    ++head_replacements;
    if (fail_writes) return Status::unavailable("injected: store is down");
    return inner_->replace_head(id, head, e, p, if_e);
  }
  Status erase(std::string_view id) override {
    if (fail_writes) return Status::unavailable("injected: store is down");
    return inner_->erase(id);
  }
  std::atomic<int> leases_granted{0};
  std::atomic<int> leases_refused{0};
  std::atomic<int> lease_releases{0};
  Result<bool> try_lease(std::string_view id, std::string_view holder, int64_t until_ms,
                         int64_t now_ms) override {
    if (fail_writes) return Status::unavailable("injected: store is down");
    auto granted = inner_->try_lease(id, holder, until_ms, now_ms);
    if (granted) ++(*granted ? leases_granted : leases_refused);
    return granted;
  }
  Status release_lease(std::string_view id, std::string_view holder) override {
    ++lease_releases;
    if (fail_writes) return Status::unavailable("injected: store is down");
    return inner_->release_lease(id, holder);
  }
  Result<uint64_t> sweep(int64_t now) override { return inner_->sweep(now); }
  Result<std::vector<EntryInfo>> list(size_t limit) override { return inner_->list(limit); }
  Result<uint64_t> clear() override { return inner_->clear(); }
  Result<StoreStats> stats(int64_t now) override { return inner_->stats(now); }
  std::string describe() const override { return "faulty(" + inner_->describe() + ")"; }

 private:
  std::shared_ptr<Store> inner_;
};

}  // namespace cachedata::testing
