// TaskPool: a fixed number of threads that run submitted tasks in order of submission. Where the
// cache finishes asynchronous gets (Cache::get_async): the store writes and the callbacks run
// here, never on the thread that waits on the network. Threads start on first use. Every task
// submitted before destruction runs (a completion must not be lost: a caller waits on it);
// destruction waits for them. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cachedata::core {

class TaskPool {
 public:
  explicit TaskPool(size_t threads) : size_(threads < 1 ? 1 : threads) {}
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void submit(std::function<void()> task);
  // Blocks until no task is queued or running.
  void wait_idle();

 private:
  void run();

  const size_t size_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cachedata::core
