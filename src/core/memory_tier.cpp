#include "core/memory_tier.hpp"

namespace cachedata::core {

MemoryTier::MemoryTier(uint64_t max_bytes, size_t shard_count)
    : max_bytes_(max_bytes), shard_max_bytes_(max_bytes / (shard_count ? shard_count : 1)) {
  if (shard_count == 0) shard_count = 1;
  shards_.reserve(shard_count);
  for (size_t i = 0; i < shard_count; ++i) shards_.push_back(std::make_unique<Shard>());
}

MemoryTier::Shard& MemoryTier::shard_for(std::string_view id) {
  return *shards_[std::hash<std::string_view>{}(id) % shards_.size()];
}

std::optional<MemoryHit> MemoryTier::get(std::string_view id) {
  Shard& shard = shard_for(id);
  std::lock_guard lock(shard.mu);
  auto it = shard.slots.find(id);
  if (it == shard.slots.end()) return std::nullopt;
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru);
  return MemoryHit{it->second.entry, it->second.expires};
}

void MemoryTier::put(std::string_view id, std::shared_ptr<const Entry> entry, int64_t expires) {
  size_t bytes = entry->memory_size() + id.size() * 2 + 64;
  Shard& shard = shard_for(id);
  std::lock_guard lock(shard.mu);
  auto it = shard.slots.find(id);
  if (it != shard.slots.end()) {
    shard.bytes -= it->second.bytes;
    shard.lru.erase(it->second.lru);
    shard.slots.erase(it);
  }
  if (bytes > shard_max_bytes_) return;
  while (shard.bytes + bytes > shard_max_bytes_ && !shard.lru.empty()) {
    auto victim = shard.slots.find(shard.lru.back());
    shard.bytes -= victim->second.bytes;
    shard.slots.erase(victim);
    shard.lru.pop_back();
  }
  shard.lru.emplace_front(id);
  shard.slots.emplace(std::string(id), Slot{std::move(entry), expires, bytes, shard.lru.begin()});
  shard.bytes += bytes;
}

bool MemoryTier::extend(std::string_view id, int64_t expires) {
  Shard& shard = shard_for(id);
  std::lock_guard lock(shard.mu);
  auto it = shard.slots.find(id);
  if (it == shard.slots.end()) return false;
  it->second.expires = expires;
  return true;
}

void MemoryTier::erase(std::string_view id) {
  Shard& shard = shard_for(id);
  std::lock_guard lock(shard.mu);
  auto it = shard.slots.find(id);
  if (it == shard.slots.end()) return;
  shard.bytes -= it->second.bytes;
  shard.lru.erase(it->second.lru);
  shard.slots.erase(it);
}

void MemoryTier::clear() {
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    shard->slots.clear();
    shard->lru.clear();
    shard->bytes = 0;
  }
}

uint64_t MemoryTier::bytes() const {
  uint64_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->bytes;
  }
  return total;
}

size_t MemoryTier::entries() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->slots.size();
  }
  return total;
}

}  // namespace cachedata::core
