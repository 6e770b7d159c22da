// BackgroundRefresher: one task per key at a time, a bounded queue, and a destructor that waits
// for the running task and drops the queued ones.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "core/background_refresher.hpp"

namespace cachedata::core {
namespace {

using namespace std::chrono_literals;

TEST(BackgroundRefresherTest, RunsTasksOffTheCallersThread) {
  BackgroundRefresher refresher;
  std::promise<std::thread::id> ran_on;
  ASSERT_TRUE(refresher.submit("a", [&] { ran_on.set_value(std::this_thread::get_id()); }));
  auto f = ran_on.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_NE(f.get(), std::this_thread::get_id());
}

TEST(BackgroundRefresherTest, SecondTaskForAKeyInFlightIsRefused) {
  BackgroundRefresher refresher;
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> runs{0};
  ASSERT_TRUE(refresher.submit("k", [&] {
    ++runs;
    gate.wait();
  }));
  EXPECT_FALSE(refresher.submit("k", [&] { ++runs; }));  // queued or running: refused
  EXPECT_TRUE(refresher.submit("other", [&] { ++runs; }));
  release.set_value();
  refresher.wait_idle();
  EXPECT_EQ(runs, 2);
  EXPECT_TRUE(refresher.submit("k", [&] { ++runs; }));  // done: may run again
  refresher.wait_idle();
  EXPECT_EQ(runs, 3);
}

TEST(BackgroundRefresherTest, FullQueueRefusesNewKeys) {
  BackgroundRefresher refresher(/*max_queued=*/2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(refresher.submit("running", [&] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  EXPECT_TRUE(refresher.submit("q1", [] {}));
  EXPECT_TRUE(refresher.submit("q2", [] {}));
  EXPECT_FALSE(refresher.submit("q3", [] {}));
  release.set_value();
  refresher.wait_idle();
}

TEST(BackgroundRefresherTest, ThrowingTaskDoesNotStopTheWorker) {
  BackgroundRefresher refresher;
  ASSERT_TRUE(refresher.submit("a", [] { throw std::runtime_error("refresh failed"); }));
  std::atomic<bool> ran{false};
  ASSERT_TRUE(refresher.submit("b", [&] { ran = true; }));
  refresher.wait_idle();
  EXPECT_TRUE(ran);
}

TEST(BackgroundRefresherTest, DestructionWaitsForTheRunningTaskAndDropsQueuedOnes) {
  std::atomic<bool> finished{false};
  std::atomic<bool> queued_ran{false};
  {
    BackgroundRefresher refresher;
    std::promise<void> started;
    ASSERT_TRUE(refresher.submit("slow", [&] {
      started.set_value();
      std::this_thread::sleep_for(200ms);
      finished = true;
    }));
    ASSERT_TRUE(refresher.submit("queued", [&] { queued_ran = true; }));
    started.get_future().wait();
  }
  EXPECT_TRUE(finished);
  EXPECT_FALSE(queued_ran);
}

}  // namespace
}  // namespace cachedata::core
