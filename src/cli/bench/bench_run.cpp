#include "cli/bench/bench_run.hpp"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <latch>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "cachedata/http_fetcher.hpp"
#include "cli/bench/key_chooser.hpp"

namespace cachedata::cli::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Gets counted so far, per worker process (slot 0 for threads in this process): shared memory,
// so that the parent draws the progress line of child processes too. Workers add in batches.
struct ProgressBoard {
  std::atomic<uint64_t>* slots = nullptr;
  size_t count = 0;

  explicit ProgressBoard(size_t n) : count(n) {
    void* p = mmap(nullptr, n * sizeof(std::atomic<uint64_t>), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      // Counted in this process only: the progress line then misses worker processes' gets.
      local = std::make_unique<std::atomic<uint64_t>[]>(n);
      slots = local.get();
      return;
    }
    mapped = true;
    slots = static_cast<std::atomic<uint64_t>*>(p);
    for (size_t i = 0; i < n; ++i) new (&slots[i]) std::atomic<uint64_t>(0);
  }
  ~ProgressBoard() {
    if (mapped) munmap(slots, count * sizeof(std::atomic<uint64_t>));
  }
  bool mapped = false;
  std::unique_ptr<std::atomic<uint64_t>[]> local;
  ProgressBoard(const ProgressBoard&) = delete;
  ProgressBoard& operator=(const ProgressBoard&) = delete;
  uint64_t total() const {
    uint64_t n = 0;
    for (size_t i = 0; i < count; ++i) n += slots[i].load(std::memory_order_relaxed);
    return n;
  }
};

double uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1p-53;
}

std::string url_for(const BenchSettings& s, const std::string& name) {
  return s.origin_url + "/resource/" + name + "?size=" + std::to_string(s.size) +
         "&delay_ms=" + std::to_string(s.origin_delay_ms);
}

// The cache, the popular requests and the fetcher one worker process uses.
struct Workload {
  const BenchSettings& settings;
  std::unique_ptr<Cache> cache;
  Profile profile;
  std::vector<Request> popular;
  KeyChooser chooser;
  HttpFetcher fetcher;

  explicit Workload(const BenchSettings& s) : settings(s), chooser(s.keys, s.zipf, s.hit_ratio) {
    profile.ttl = std::chrono::seconds(s.ttl_s);
    popular.reserve(s.keys);
    for (uint64_t k = 0; k < s.keys; ++k) {
      popular.push_back(Request::get(url_for(s, "bench-" + std::to_string(k))));
    }
  }

  // Every popular entry once, split between `threads` threads (not measured).
  void warm(int threads) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([this, t, threads] {
        for (size_t k = static_cast<size_t>(t); k < popular.size();
             k += static_cast<size_t>(threads)) {
          (void)cache->get(profile, popular[k], fetcher);
        }
      });
    }
    for (auto& w : workers) w.join();
  }

  // One thread's timed gets until `end`.
  WorkerReport run_thread(unsigned seed, SteadyClock::time_point end,
                          std::atomic<uint64_t>& progress) {
    WorkerReport report;
    LatencyHistogram latency;
    std::mt19937_64 rng(seed);
    uint64_t fresh = 0, unpublished = 0;
    const std::string fresh_prefix =
        "fresh-" + std::to_string(getpid()) + "-" + std::to_string(seed) + "-";
    for (auto now = SteadyClock::now(); now < end;) {
      const Choice choice = chooser.choose(uniform(rng), uniform(rng));
      GetResult result;
      if (choice.fresh_key) {
        const Request request =
            Request::get(url_for(settings, fresh_prefix + std::to_string(fresh++)));
        now = SteadyClock::now();
        result = cache->get(profile, request, fetcher);
      } else {
        now = SteadyClock::now();
        result = cache->get(profile, popular[choice.key], fetcher);
      }
      const auto after = SteadyClock::now();
      latency.record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(after - now).count()));
      now = after;
      ++report.gets;
      if (!result.ok()) ++report.failed;
      if (++unpublished == 256) {
        progress.fetch_add(unpublished, std::memory_order_relaxed);
        unpublished = 0;
      }
    }
    progress.fetch_add(unpublished, std::memory_order_relaxed);
    report.latency = latency.counts();
    return report;
  }

  // The timed run of this process's threads, once `go` opens; the cache's counters over it.
  WorkerReport run(int threads, std::latch& go, SteadyClock::time_point& end,
                   std::atomic<uint64_t>& progress) {
    const CacheStats before = cache->stats();
    const uint64_t cpu_before = cpu_micros_now();
    std::vector<WorkerReport> reports(static_cast<size_t>(threads));
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        go.wait();
        reports[static_cast<size_t>(t)] = run_thread(
            static_cast<unsigned>(getpid()) * 131u + static_cast<unsigned>(t), end, progress);
      });
    }
    WorkerReport total = finish(before, workers, reports);
    total.cpu_micros = cpu_micros_now() - cpu_before;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    total.peak_rss_kb = static_cast<uint64_t>(usage.ru_maxrss);
    return total;
  }

  static uint64_t cpu_micros_now() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<uint64_t>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000 +
           static_cast<uint64_t>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  }

  WorkerReport finish(const CacheStats& before, std::vector<std::thread>& workers,
                      const std::vector<WorkerReport>& reports) {
    for (auto& w : workers) w.join();
    cache->wait_for_background_refreshes();
    WorkerReport total;
    for (const auto& r : reports) total.add(r);
    const CacheStats after = cache->stats();
    total.memory_hits = after.memory_hits - before.memory_hits;
    total.store_hits = after.store_hits - before.store_hits;
    total.fetches = after.fetches - before.fetches;
    total.single_flight_waits = after.single_flight_waits - before.single_flight_waits;
    total.lease_waits = after.lease_waits - before.lease_waits;
    return total;
  }
};

// The progress line, redrawn in place until `done`.
void draw_progress(const ProgressBoard& board, SteadyClock::time_point start, double duration_s,
                   const std::atomic<bool>& done) {
  uint64_t last = 0;
  auto last_at = start;
  while (!done.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto now = SteadyClock::now();
    const uint64_t gets = board.total();
    const double since_start = std::chrono::duration<double>(now - start).count();
    const double window = std::chrono::duration<double>(now - last_at).count();
    const double rate = window > 0 ? static_cast<double>(gets - last) / window : 0;
    std::fprintf(stderr, "\r  %5.1f / %.0f s  %12llu gets  %12.0f gets/s ", since_start, duration_s,
                 static_cast<unsigned long long>(gets), rate);
    std::fflush(stderr);
    last = gets;
    last_at = now;
  }
  std::fprintf(stderr, "\r%*s\r", 70, "");
  std::fflush(stderr);
}

Result<RunResult> run_in_threads(const BenchSettings& s) {
  Workload load(s);
  auto cache = open_cache(s.store);
  if (!cache) return cache.status();
  load.cache = std::move(cache).value();
  if (s.warmup) load.warm(s.threads);
  ProgressBoard board(1);
  std::latch go(1);
  SteadyClock::time_point end{};
  std::atomic<bool> done{false};
  const auto start = SteadyClock::now();
  end = start + std::chrono::duration_cast<SteadyClock::duration>(
                    std::chrono::duration<double>(s.duration_s));
  std::thread progress;
  if (s.progress) progress = std::thread([&] { draw_progress(board, start, s.duration_s, done); });
  go.count_down();
  WorkerReport report = load.run(s.threads, go, end, board.slots[0]);
  RunResult result;
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  done = true;
  if (progress.joinable()) progress.join();
  result.total = report;
  return result;
}

// A worker process: its own Cache, warmed, then its timed run once the parent says go; its
// report goes to `out` as bytes. Never returns.
[[noreturn]] void worker_process(const BenchSettings& s, int ready_fd, int go_fd, int out_fd,
                                 std::atomic<uint64_t>& progress) {
  int code = 0;
  {
    Workload load(s);
    auto cache = open_cache(s.store);
    if (!cache) {
      std::fprintf(stderr, "cachedata bench: worker %d: %s\n", getpid(),
                   cache.status().to_string().c_str());
      code = 1;
    } else {
      load.cache = std::move(cache).value();
      if (s.warmup) load.warm(s.threads);
    }
    char byte = code == 0 ? 'r' : 'x';
    (void)!write(ready_fd, &byte, 1);
    double duration = 0;
    if (read(go_fd, &duration, sizeof duration) == sizeof duration && code == 0) {
      std::latch go(0);
      SteadyClock::time_point end =
          SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                   std::chrono::duration<double>(duration));
      WorkerReport report = load.run(s.threads, go, end, progress);
      const auto* bytes = reinterpret_cast<const char*>(&report);
      size_t left = sizeof report;
      while (left > 0) {
        ssize_t n = write(out_fd, bytes, left);
        if (n <= 0) break;
        bytes += n;
        left -= static_cast<size_t>(n);
      }
    }
  }
  std::fflush(stderr);
  _exit(code);
}

Result<RunResult> run_in_processes(const BenchSettings& s) {
  ProgressBoard board(static_cast<size_t>(s.processes));
  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) return Status::io_error("cannot make a pipe");
  std::vector<pid_t> pids;
  std::vector<int> outs;
  std::fflush(stdout);
  std::fflush(stderr);
  for (int p = 0; p < s.processes; ++p) {
    int out[2];
    if (pipe(out) != 0) return Status::io_error("cannot make a pipe");
    pid_t pid = fork();
    if (pid < 0) return Status::io_error("cannot fork a worker process");
    if (pid == 0) {
      close(ready[0]);
      close(go[1]);
      close(out[0]);
      worker_process(s, ready[1], go[0], out[1], board.slots[p]);
    }
    close(out[1]);
    pids.push_back(pid);
    outs.push_back(out[0]);
  }
  close(ready[1]);
  close(go[0]);
  bool all_ready = true;
  for (int p = 0; p < s.processes; ++p) {
    char byte = 0;
    if (read(ready[0], &byte, 1) != 1 || byte != 'r') all_ready = false;
  }
  std::atomic<bool> done{false};
  const auto start = SteadyClock::now();
  std::thread progress;
  if (s.progress && all_ready) {
    progress = std::thread([&] { draw_progress(board, start, s.duration_s, done); });
  }
  for (int p = 0; p < s.processes; ++p) {
    const double duration = all_ready ? s.duration_s : -1;
    (void)!write(go[1], &duration, sizeof duration);
  }
  close(go[1]);
  close(ready[0]);
  RunResult result;
  bool failed = !all_ready;
  for (size_t p = 0; p < pids.size(); ++p) {
    WorkerReport report;
    auto* bytes = reinterpret_cast<char*>(&report);
    size_t got = 0;
    while (got < sizeof report) {
      ssize_t n = read(outs[p], bytes + got, sizeof report - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    close(outs[p]);
    int status = 0;
    waitpid(pids[p], &status, 0);
    if (got != sizeof report || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      failed = true;
      continue;
    }
    result.total.add(report);
  }
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  done = true;
  if (progress.joinable()) progress.join();
  if (failed) return Status::unavailable("a worker process failed (see its message above)");
  return result;
}

}  // namespace

void WorkerReport::add(const WorkerReport& o) {
  gets += o.gets;
  failed += o.failed;
  memory_hits += o.memory_hits;
  store_hits += o.store_hits;
  fetches += o.fetches;
  single_flight_waits += o.single_flight_waits;
  lease_waits += o.lease_waits;
  cpu_micros += o.cpu_micros;
  peak_rss_kb = std::max(peak_rss_kb, o.peak_rss_kb);
  for (size_t i = 0; i < latency.size(); ++i) latency[i] += o.latency[i];
}

Result<RunResult> run_load(const BenchSettings& settings) {
  return settings.processes > 0 ? run_in_processes(settings) : run_in_threads(settings);
}

}  // namespace cachedata::cli::bench
