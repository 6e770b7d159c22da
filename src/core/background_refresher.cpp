#include "core/background_refresher.hpp"

namespace cachedata::core {

BackgroundRefresher::~BackgroundRefresher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool BackgroundRefresher::submit(std::string key, std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_ || pending_.count(key) != 0) return false;
    pending_.insert(key);
    queue_.emplace_back(std::move(key), std::move(task));
    if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
  }
  wake_.notify_one();
  return true;
}

void BackgroundRefresher::wait_idle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return pending_.empty() || stopping_; });
}

void BackgroundRefresher::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    auto [key, task] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      task();
    } catch (...) {
      // A refresh is best effort: the entry stays stale and a later get retries it.
    }
    lock.lock();
    pending_.erase(key);
    if (pending_.empty()) idle_.notify_all();
  }
  pending_.clear();
  idle_.notify_all();
}

}  // namespace cachedata::core
