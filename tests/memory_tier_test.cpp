// The memory tier: bounded in bytes, LRU, shared entries, thread-safe.
#include <gtest/gtest.h>

#include <thread>

#include "core/memory_tier.hpp"

namespace cachedata::core {
namespace {

std::shared_ptr<const Entry> entry_of(size_t body_bytes) {
  auto e = std::make_shared<Entry>();
  e->body = std::make_shared<const std::string>(body_bytes, 'x');
  return e;
}

std::string id(int i) {
  return std::string(60, '0') + std::to_string(1000 + i);
}

TEST(MemoryTierTest, HitReturnsTheSameSharedEntryAndItsExpiry) {
  MemoryTier tier(1 << 20);
  auto e = entry_of(100);
  tier.put(id(1), e, 42);
  auto hit = tier.get(id(1));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->entry.get(), e.get());
  EXPECT_EQ(hit->expires, 42);
  EXPECT_TRUE(tier.extend(id(1), 99));
  EXPECT_EQ(tier.get(id(1))->expires, 99);
  EXPECT_FALSE(tier.get(id(2)));
}

TEST(MemoryTierTest, StaysUnderItsByteBound) {
  MemoryTier tier(64 << 10, 4);
  for (int i = 0; i < 1000; ++i) tier.put(id(i), entry_of(1000), 1);
  EXPECT_LE(tier.bytes(), 64u << 10);
  EXPECT_GT(tier.entries(), 10u);
  EXPECT_LT(tier.entries(), 100u);
}

TEST(MemoryTierTest, EvictsLeastRecentlyUsedFirst) {
  MemoryTier tier(10 * 1300, 1);
  for (int i = 0; i < 9; ++i) tier.put(id(i), entry_of(1000), 1);
  ASSERT_TRUE(tier.get(id(0)));  // id 0 becomes the most recent
  for (int i = 9; i < 12; ++i) tier.put(id(i), entry_of(1000), 1);
  EXPECT_TRUE(tier.get(id(0)));
  EXPECT_FALSE(tier.get(id(1)));
}

TEST(MemoryTierTest, EntryLargerThanAShardIsNotKept) {
  MemoryTier tier(16 << 10, 4);
  tier.put(id(1), entry_of(8 << 10), 1);
  EXPECT_FALSE(tier.get(id(1)));
  EXPECT_EQ(tier.bytes(), 0u);
}

TEST(MemoryTierTest, ReplaceAndEraseKeepTheAccountingRight) {
  MemoryTier tier(1 << 20, 1);
  tier.put(id(1), entry_of(1000), 1);
  uint64_t one = tier.bytes();
  tier.put(id(1), entry_of(1000), 2);
  EXPECT_EQ(tier.bytes(), one);
  tier.erase(id(1));
  EXPECT_EQ(tier.bytes(), 0u);
  EXPECT_EQ(tier.entries(), 0u);
}

TEST(MemoryTierTest, ManyThreadsAtOnce) {
  MemoryTier tier(256 << 10);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        int k = (i * 7 + t) % 300;
        if (i % 3 == 0) {
          tier.put(id(k), entry_of(500), i);
        } else if (i % 11 == 0) {
          tier.erase(id(k));
        } else if (auto hit = tier.get(id(k))) {
          ASSERT_EQ(hit->entry->body_text().size(), 500u);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(tier.bytes(), 256u << 10);
}

}  // namespace
}  // namespace cachedata::core
