// BackgroundRefresher: runs refreshes of stale entries off the caller's thread
// (stale-while-revalidate, RFC 5861 §3). One worker thread, started on first use; at most one
// task per key is queued or running (a hot stale entry is refreshed once, not once per get);
// the queue is bounded, and a task that does not fit is dropped (the entry stays stale and a
// later get schedules it again, or refreshes it itself once the window has passed).
// Destruction drops the tasks not yet started and waits for the running one, so a task may use
// everything that outlives the refresher. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>

namespace cachedata::core {

class BackgroundRefresher {
 public:
  explicit BackgroundRefresher(size_t max_queued = 1024) : max_queued_(max_queued) {}
  ~BackgroundRefresher();
  BackgroundRefresher(const BackgroundRefresher&) = delete;
  BackgroundRefresher& operator=(const BackgroundRefresher&) = delete;

  // False when a task for `key` is already queued or running, or the queue is full.
  bool submit(std::string key, std::function<void()> task);
  // Blocks until no task is queued or running (tests, orderly shutdown).
  void wait_idle();

 private:
  void run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::pair<std::string, std::function<void()>>> queue_;
  std::unordered_set<std::string> pending_;  // keys queued or running
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace cachedata::core
