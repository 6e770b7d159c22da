// core::SingleFlight on its own: who leads, who waits, what a waiter receives, the key freed at
// publication, a leader that goes away without publishing, a waiter's deadline, callbacks.
#include "core/single_flight.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace cachedata::core {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

TEST(SingleFlightTest, TheFirstJoinLeadsAndTheNextOnesWait) {
  SingleFlight<int> flights(-1);
  auto first = flights.join("a");
  auto second = flights.join("a");
  auto other_key = flights.join("b");
  EXPECT_TRUE(first.leader());
  EXPECT_FALSE(second.leader());
  EXPECT_TRUE(other_key.leader());
  EXPECT_EQ(flights.in_flight(), 2u);
  flights.publish(other_key, 0);
}

TEST(SingleFlightTest, EveryWaiterReceivesTheLeadersOutcome) {
  SingleFlight<std::string> flights("abandoned");
  auto leader = flights.join("k");
  constexpr int kWaiters = 16;
  std::vector<std::string> got(kWaiters);
  std::latch joined(kWaiters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&, i] {
      auto ticket = flights.join("k");
      EXPECT_FALSE(ticket.leader());
      joined.count_down();
      auto outcome = flights.wait(ticket, std::nullopt);
      ASSERT_NE(outcome, nullptr);
      got[static_cast<size_t>(i)] = *outcome;
    });
  }
  joined.wait();
  flights.publish(leader, "the answer");
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, "the answer");
}

TEST(SingleFlightTest, APublishedKeyIsFreeForANewCall) {
  SingleFlight<int> flights(-1);
  auto first = flights.join("k");
  flights.publish(first, 1);
  EXPECT_EQ(flights.in_flight(), 0u);
  auto again = flights.join("k");
  EXPECT_TRUE(again.leader());
  flights.publish(again, 2);
}

TEST(SingleFlightTest, AWaiterThatJoinedBeforePublicationStillGetsTheOutcome) {
  SingleFlight<int> flights(-1);
  auto leader = flights.join("k");
  auto waiter = flights.join("k");
  flights.publish(leader, 7);
  auto late_read = flights.wait(waiter, Clock::now());  // already known: no waiting
  ASSERT_NE(late_read, nullptr);
  EXPECT_EQ(*late_read, 7);
}

TEST(SingleFlightTest, ALeaderThatGoesAwayWithoutPublishingReleasesItsWaiters) {
  SingleFlight<int> flights(-1);
  std::optional<SingleFlight<int>::Ticket> leader;
  leader.emplace(flights.join("k"));
  auto waiter = flights.join("k");
  std::thread waiting([&] {
    auto outcome = flights.wait(waiter, std::nullopt);
    ASSERT_NE(outcome, nullptr);
    EXPECT_EQ(*outcome, -1);
  });
  leader.reset();  // as when an exception unwinds the leader's call
  waiting.join();
  EXPECT_EQ(flights.in_flight(), 0u);
}

TEST(SingleFlightTest, AWaitersDeadlinePassesWithoutCancellingTheCall) {
  SingleFlight<int> flights(-1);
  auto leader = flights.join("k");
  auto waiter = flights.join("k");
  const auto t0 = Clock::now();
  EXPECT_EQ(flights.wait(waiter, t0 + milliseconds(30)), nullptr);
  EXPECT_GE(Clock::now() - t0, milliseconds(30));
  EXPECT_EQ(flights.in_flight(), 1u);  // still in flight
  auto another = flights.join("k");
  EXPECT_FALSE(another.leader());
  flights.publish(leader, 3);
  EXPECT_EQ(*flights.wait(another, std::nullopt), 3);
}

TEST(SingleFlightTest, ACallbackRunsOnceWithTheOutcomeBeforeOrAfterPublication) {
  SingleFlight<int> flights(-1);
  auto leader = flights.join("k");
  auto early = flights.join("k");
  std::atomic<int> early_calls{0}, early_value{0};
  flights.on_outcome(early, [&](const std::shared_ptr<const int>& v) {
    ++early_calls;
    early_value = *v;
  });
  EXPECT_EQ(early_calls, 0);
  flights.publish(leader, 9);
  flights.publish(leader, 10);  // a second publication changes nothing
  EXPECT_EQ(early_calls, 1);
  EXPECT_EQ(early_value, 9);
  int late_value = 0;
  flights.on_outcome(early, [&](const std::shared_ptr<const int>& v) { late_value = *v; });
  EXPECT_EQ(late_value, 9);
}

}  // namespace
}  // namespace cachedata::core
