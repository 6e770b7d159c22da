// The asynchronous driver of the HTTP fetcher (HttpFetcher::async): libcurl's multi interface
// on one thread for every call in flight in the process. A call is a FetchCall
// (http/fetch_call.hpp) whose attempts are easy handles added to the multi handle and whose waits
// between retries are timers; its answer goes to the caller's callback on this thread, so a
// callback must be quick (Cache::get_async's hands the answer to its completion pool). Idle easy
// handles are kept for the next calls; the multi handle keeps the connections.
#include <curl/curl.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cachedata/http_fetcher.hpp"
#include "http/easy_handle.hpp"
#include "http/fetch_call.hpp"

namespace cachedata {
namespace http {
namespace {

constexpr size_t kMaxIdleHandles = 64;

class MultiLoop {
 public:
  static MultiLoop& instance() {
    static MultiLoop loop;
    return loop;
  }

  // Queues the call and wakes the loop; returns at once.
  void start(const Request& request, const Validators& validators, HttpFetcherOptions options,
             std::function<void(Response)> done) {
    auto call = std::make_unique<Call>(std::move(options), std::move(done));
    call->request = request;
    call->validators = validators;
    {
      std::lock_guard lock(mu_);
      incoming_.push_back(std::move(call));
    }
    curl_multi_wakeup(multi_);
  }

 private:
  struct Call {
    Call(HttpFetcherOptions o, std::function<void(Response)> d)
        : options(std::move(o)), fetch(options), done(std::move(d)) {}
    HttpFetcherOptions options;  // before `fetch`, which views it
    FetchCall fetch;
    std::function<void(Response)> done;
    Request request;
    Validators validators;
    std::unique_ptr<EasyHandle> handle;
    Transfer transfer;          // where the attempt in flight writes (stays put: Call is boxed)
    FetchCall::Step performed;  // the attempt in flight
    Clock::time_point attempt_started;
  };

  MultiLoop() : multi_(curl_multi_init()) {
    thread_ = std::thread([this] { run(); });
  }
  ~MultiLoop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
    curl_multi_cleanup(multi_);
  }

  void run() {
    for (;;) {
      std::vector<std::unique_ptr<Call>> arrived;
      bool stopping = false;
      {
        std::lock_guard lock(mu_);
        arrived.swap(incoming_);
        stopping = stopping_;
      }
      if (stopping) {
        end_everything(std::move(arrived));
        return;
      }
      for (auto& call : arrived) {
        if (auto invalid = call->fetch.begin(call->request, call->validators)) {
          finish(std::move(call), std::move(*invalid));
          continue;
        }
        FetchCall::Step first = call->fetch.next();
        act(std::move(call), std::move(first));
      }
      int still_running = 0;
      curl_multi_perform(multi_, &still_running);
      int left = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
        if (message->msg == CURLMSG_DONE) attempt_ended(message->easy_handle, message->data.result);
      }
      const auto now = Clock::now();
      while (!waiting_.empty() && waiting_.begin()->first <= now) {
        std::unique_ptr<Call> call = std::move(waiting_.begin()->second);
        waiting_.erase(waiting_.begin());
        FetchCall::Step again = call->fetch.next();
        act(std::move(call), std::move(again));
      }
      int timeout_ms = 1000;
      if (!waiting_.empty()) {
        const auto until = std::chrono::duration_cast<milliseconds>(waiting_.begin()->first - now);
        timeout_ms = static_cast<int>(std::clamp<int64_t>(until.count(), 0, 1000));
      }
      curl_multi_poll(multi_, nullptr, 0, timeout_ms, nullptr);
    }
  }

  // Carries out what the call's state machine asked for.
  void act(std::unique_ptr<Call> call, FetchCall::Step step) {
    switch (step.kind) {
      case FetchCall::Step::Kind::kDone:
        return finish(std::move(call), std::move(step.response));
      case FetchCall::Step::Kind::kWait: {
        const auto wake_at = Clock::now() + step.delay;
        waiting_.emplace(wake_at, std::move(call));
        return;
      }
      case FetchCall::Step::Kind::kPerform:
        break;
    }
    if (!call->handle) call->handle = take_handle();
    if (!call->handle) {
      return finish(std::move(call), Response::failure("libcurl could not create a handle"));
    }
    call->transfer = Transfer{};
    if (!prepare_attempt(*call->handle, call->fetch.hop(), call->options, step.limit,
                         call->transfer)) {
      Attempt failed;
      failed.code = CURLE_OUT_OF_MEMORY;
      failed.error = "out of memory building the request headers";
      FetchCall::Step next = call->fetch.after(std::move(failed), step);
      return act(std::move(call), std::move(next));
    }
    call->performed = std::move(step);
    call->attempt_started = Clock::now();
    CURL* easy = call->handle->get();
    running_.emplace(easy, std::move(call));
    curl_multi_add_handle(multi_, easy);
  }

  void attempt_ended(CURL* easy, CURLcode code) {
    auto it = running_.find(easy);
    if (it == running_.end()) return;
    std::unique_ptr<Call> call = std::move(it->second);
    running_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    Attempt attempt = finish_attempt(
        *call->handle, code, ms_between(call->attempt_started, Clock::now()), call->options,
        call->performed.limit, call->performed.attempt_limited, std::move(call->transfer));
    FetchCall::Step next = call->fetch.after(std::move(attempt), call->performed);
    act(std::move(call), std::move(next));
  }

  void finish(std::unique_ptr<Call> call, Response response) {
    if (call->handle && idle_handles_.size() < kMaxIdleHandles) {
      idle_handles_.push_back(std::move(call->handle));
    }
    try {
      call->done(std::move(response));
    } catch (...) {
      // A callback must not throw; the loop carries on for the other calls.
    }
  }

  std::unique_ptr<EasyHandle> take_handle() {
    if (!idle_handles_.empty()) {
      auto handle = std::move(idle_handles_.back());
      idle_handles_.pop_back();
      return handle;
    }
    return EasyHandle::make<on_body, on_header>();
  }

  // The process is ending: every call still here is answered, so no caller waits forever.
  void end_everything(std::vector<std::unique_ptr<Call>> arrived) {
    const Response ending = Response::failure("the HTTP fetcher is shutting down");
    for (auto& call : arrived) finish(std::move(call), ending);
    for (auto& [easy, call] : running_) {
      curl_multi_remove_handle(multi_, easy);
      finish(std::move(call), ending);
    }
    running_.clear();
    for (auto& [at, call] : waiting_) finish(std::move(call), ending);
    waiting_.clear();
  }

  CURLM* multi_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Call>> incoming_;  // under mu_
  bool stopping_ = false;                        // under mu_
  // The loop thread's own:
  std::unordered_map<CURL*, std::unique_ptr<Call>> running_;
  std::multimap<Clock::time_point, std::unique_ptr<Call>> waiting_;
  std::vector<std::unique_ptr<EasyHandle>> idle_handles_;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace
}  // namespace http

AsyncFetcher HttpFetcher::async() const {
  return [fetcher = *this](const Request& request, const Validators& validators,
                           std::function<void(Response)> done) {
    if (!fetcher.valid_) return done(Response::failure(fetcher.valid_.message()));
    HttpFetcherOptions options = fetcher.options_;
    if (options.per_request) {
      options.per_request(request, options);
      if (Status s = options.validate(); !s) return done(Response::failure(s.message()));
    }
    if (options.pagination.kind != PaginationOptions::Kind::kNone) {
      // Pages follow one another by http/pagination.hpp's blocking rules: a thread per list.
      std::thread([request, validators, options = std::move(options), done = std::move(done)] {
        done(HttpFetcher::fetch(request, validators, options));
      }).detach();
      return;
    }
    http::MultiLoop::instance().start(request, validators, std::move(options), std::move(done));
  };
}

}  // namespace cachedata
