// SingleFlight: at most one call per key in flight in this process. The first caller of a key
// leads (it makes the call); the callers that come while the call runs join it and receive the
// leader's outcome instead of calling again.
//
// Contract:
//   - join(key) returns a Ticket; exactly one ticket per in-flight key is the leader's.
//   - The leader must publish(ticket, outcome) exactly once. A Ticket whose leader goes away
//     without publishing (an exception) publishes `abandoned` for it, so a waiter is never
//     left waiting for a leader that is gone.
//   - Once published the key is free again: the next join() leads a new call. (A caller that
//     joins after the outcome is known would otherwise get an answer older than its request.)
//   - A waiter waits until the outcome is published or its own deadline passes (wait()), or
//     registers a callback that runs once with the outcome (on_outcome(), on the leader's thread,
//     or at once when it is already known). A waiter that gives up does not cancel the call.
// Thread-safe. Outcome must be copyable; waiters receive a shared const view of it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cachedata::core {

template <typename Outcome>
class SingleFlight {
  struct Flight {
    std::mutex mu;
    std::condition_variable done;
    std::shared_ptr<const Outcome> outcome;  // set once
    std::vector<std::function<void(const std::shared_ptr<const Outcome>&)>> callbacks;
  };

 public:
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)),
          key_(std::move(other.key_)),
          flight_(std::move(other.flight_)),
          leader_(other.leader_) {}
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    ~Ticket() {
      if (owner_ != nullptr && leader_ && flight_ && !published()) {
        owner_->publish(*this, owner_->abandoned_);
      }
    }
    bool leader() const { return leader_; }

   private:
    friend class SingleFlight;
    Ticket(SingleFlight* owner, std::string key, std::shared_ptr<Flight> flight, bool leader)
        : owner_(owner), key_(std::move(key)), flight_(std::move(flight)), leader_(leader) {}
    bool published() const {
      std::lock_guard lock(flight_->mu);
      return flight_->outcome != nullptr;
    }
    SingleFlight* owner_;
    std::string key_;
    std::shared_ptr<Flight> flight_;
    bool leader_;
  };

  // `abandoned`: what the waiters of a leader that never published receive.
  explicit SingleFlight(Outcome abandoned) : abandoned_(std::move(abandoned)) {}
  SingleFlight(const SingleFlight&) = delete;
  SingleFlight& operator=(const SingleFlight&) = delete;

  Ticket join(const std::string& key) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = flights_.try_emplace(key);
    if (inserted) it->second = std::make_shared<Flight>();
    return Ticket(this, key, it->second, inserted);
  }

  // The leader's outcome: wakes every waiter, runs every callback, frees the key.
  void publish(const Ticket& ticket, Outcome outcome) {
    auto shared = std::make_shared<const Outcome>(std::move(outcome));
    {
      std::lock_guard lock(mu_);
      auto it = flights_.find(ticket.key_);
      if (it != flights_.end() && it->second == ticket.flight_) flights_.erase(it);
    }
    std::vector<std::function<void(const std::shared_ptr<const Outcome>&)>> callbacks;
    {
      std::lock_guard lock(ticket.flight_->mu);
      if (ticket.flight_->outcome) return;  // published already
      ticket.flight_->outcome = shared;
      callbacks.swap(ticket.flight_->callbacks);
    }
    ticket.flight_->done.notify_all();
    for (auto& callback : callbacks) callback(shared);
  }

  // A waiter's outcome; nullptr when `deadline` passed first.
  std::shared_ptr<const Outcome> wait(
      const Ticket& ticket, std::optional<std::chrono::steady_clock::time_point> deadline) {
    Flight& flight = *ticket.flight_;
    std::unique_lock lock(flight.mu);
    auto known = [&] { return flight.outcome != nullptr; };
    if (deadline) {
      flight.done.wait_until(lock, *deadline, known);
    } else {
      flight.done.wait(lock, known);
    }
    return flight.outcome;
  }

  // Calls `callback` once with the outcome: at once when known, else on the leader's thread.
  void on_outcome(const Ticket& ticket,
                  std::function<void(const std::shared_ptr<const Outcome>&)> callback) {
    Flight& flight = *ticket.flight_;
    std::shared_ptr<const Outcome> known;
    {
      std::lock_guard lock(flight.mu);
      known = flight.outcome;
      if (!known) {
        flight.callbacks.push_back(std::move(callback));
        return;
      }
    }
    callback(known);
  }

  // Keys with a call in flight (tests, stats).
  size_t in_flight() const {
    std::lock_guard lock(mu_);
    return flights_.size();
  }

 private:
  const Outcome abandoned_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace cachedata::core
