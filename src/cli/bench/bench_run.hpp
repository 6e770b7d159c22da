// One load run of `cachedata bench` (src/cli/bench/cmd_bench.cpp): its settings, what each
// worker counts, and the run itself. Workers are threads sharing one Cache, or processes with a
// Cache each (as separate application instances would be), each of them with `threads` threads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "cli/bench/latency_histogram.hpp"
#include "cli/cli_common.hpp"

namespace cachedata::cli::bench {

struct BenchSettings {
  StoreOptions store;      // --store memory|DIR|aws:…
  std::string origin_url;  // the origin's base URL (started by the command when not given)
  uint64_t size = 1024;    // bytes of each answer
  uint64_t keys = 1000;    // popular entries
  double zipf = 0.99;      // their popularity law; 0: uniform
  double hit_ratio = 1.0;  // share of gets that ask for a popular entry
  int threads = 2;         // per process
  int processes = 0;       // 0: the threads run in this process
  int64_t origin_delay_ms = 0;
  double duration_s = 10;
  int64_t ttl_s = 300;
  bool warmup = true;  // fetch every popular entry once before the timed run
  bool progress = false;
};

// What a worker (a thread, or a process's threads together) counted in the timed run. Plain
// integers only: a worker process sends it through a pipe as bytes.
struct WorkerReport {
  uint64_t gets = 0;
  uint64_t failed = 0;  // no answer at all (error:original)
  uint64_t memory_hits = 0;
  uint64_t store_hits = 0;
  uint64_t fetches = 0;  // origin calls
  uint64_t single_flight_waits = 0;
  uint64_t lease_waits = 0;
  uint64_t cpu_micros = 0;   // user + system time of the timed run (summed over processes)
  uint64_t peak_rss_kb = 0;  // the process's largest resident set (the largest of them)
  std::array<uint64_t, LatencyHistogram::kBuckets> latency{};

  void add(const WorkerReport& other);
};

struct RunResult {
  WorkerReport total;
  double seconds = 0;  // wall time of the timed run
};

// Runs the load; the live progress line (when settings.progress) goes to stderr. An error when
// the cache cannot be opened or a worker process fails.
Result<RunResult> run_load(const BenchSettings& settings);

}  // namespace cachedata::cli::bench
