#include "core/task_pool.hpp"

namespace cachedata::core {

TaskPool::~TaskPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void TaskPool::submit(std::function<void()> task) {
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(task));
  if (threads_.size() < size_ && threads_.size() < queue_.size() + running_) {
    threads_.emplace_back([this] { run(); });
  }
  // Under the lock: once the task has run, its owner may destroy the pool at once (~Cache after
  // the last completion), and the submitting thread must not touch the pool after that.
  wake_.notify_one();
}

void TaskPool::wait_idle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void TaskPool::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    // Stopping still drains the queue: every submitted task runs.
    if (queue_.empty()) break;
    auto task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    try {
      task();
    } catch (...) {
      // A task's own failure is its own; the pool goes on.
    }
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) idle_.notify_all();
  }
}

}  // namespace cachedata::core
