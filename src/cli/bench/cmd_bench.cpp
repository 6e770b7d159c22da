// cachedata bench: an end-to-end load generator. It starts the project's origin server
// (cachedata_origin, beside this program; --origin URL uses one already running), runs gets
// through a Cache on the chosen store for --duration seconds from threads or processes, and
// prints throughput, latency percentiles, origin calls, single-flight and lease waits, CPU time
// and peak memory. On a terminal a progress line is redrawn twice a second. --json prints one
// JSON object instead of the table (BENCHMARKS.md's figures come from it).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/bench/bench_run.hpp"
#include "cli/cli_common.hpp"

extern char** environ;

namespace cachedata::cli {
namespace {

using bench::BenchSettings;
using bench::LatencyHistogram;
using bench::RunResult;

// cachedata_origin started for the run: stopped (SIGTERM) when this goes.
class StartedOrigin {
 public:
  static Result<std::unique_ptr<StartedOrigin>> start() {
    std::string binary;
    if (const char* env = std::getenv("CACHEDATA_ORIGIN_BIN"); env != nullptr && *env != '\0') {
      binary = env;
    } else {
      std::error_code ec;
      auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
      if (!ec) binary = (self.parent_path() / "cachedata_origin").string();
    }
    if (binary.empty() || access(binary.c_str(), X_OK) != 0) {
      return Status::not_found(
          "no origin server to start (cachedata_origin beside this program, "
          "or CACHEDATA_ORIGIN_BIN); give one with --origin URL");
    }
    int out[2];
    if (pipe(out) != 0) return Status::io_error("cannot make a pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<std::string> args = {binary, "--port", "0", "--threads", "256"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    auto origin = std::unique_ptr<StartedOrigin>(new StartedOrigin);
    const int rc =
        posix_spawn(&origin->pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      origin->pid_ = -1;
      return Status::io_error("cannot start " + binary);
    }
    // Its first line: "listening http://127.0.0.1:PORT".
    std::string line;
    char c = 0;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    const std::string prefix = "listening ";
    if (line.rfind(prefix, 0) != 0) return Status::unavailable(binary + " did not start: " + line);
    origin->url_ = line.substr(prefix.size());
    return origin;
  }
  ~StartedOrigin() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  const std::string& url() const { return url_; }

 private:
  StartedOrigin() = default;
  pid_t pid_ = -1;
  std::string url_;
};

std::string store_name(const BenchSettings& s) {
  return s.store.store.empty() ? "default" : s.store.store;
}

// "412 ns", "3.1 µs", "12.4 ms".
std::string human_nanos(uint64_t ns) {
  char buf[32];
  if (ns < 1000) {
    std::snprintf(buf, sizeof buf, "%llu ns", static_cast<unsigned long long>(ns));
  } else if (ns < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.1f µs", static_cast<double>(ns) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(ns) / 1e6);
  }
  return buf;
}

void print_table(const BenchSettings& s, const RunResult& r) {
  const auto& t = r.total;
  LatencyHistogram latency;
  latency.set_counts(t.latency);
  const double per_s = r.seconds > 0 ? static_cast<double>(t.gets) / r.seconds : 0;
  const double per_1000 =
      t.gets > 0 ? 1000.0 * static_cast<double>(t.fetches) / static_cast<double>(t.gets) : 0;
  std::printf("store          %s\n", store_name(s).c_str());
  std::printf("workers        %d %s x %d thread%s\n", s.processes > 0 ? s.processes : 1,
              s.processes > 0 ? "processes" : "process", s.threads, s.threads == 1 ? "" : "s");
  std::printf(
      "workload       %llu-byte answers, %llu keys (%s), hit ratio %.2f, origin delay "
      "%lld ms, ttl %lld s\n",
      static_cast<unsigned long long>(s.size), static_cast<unsigned long long>(s.keys),
      s.zipf > 0 ? ("zipf " + std::to_string(s.zipf).substr(0, 4)).c_str() : "uniform", s.hit_ratio,
      static_cast<long long>(s.origin_delay_ms), static_cast<long long>(s.ttl_s));
  std::printf("gets           %llu in %.2f s: %.0f/s\n", static_cast<unsigned long long>(t.gets),
              r.seconds, per_s);
  std::printf("latency        p50 %s  p99 %s  p99.9 %s\n",
              human_nanos(latency.percentile(0.50)).c_str(),
              human_nanos(latency.percentile(0.99)).c_str(),
              human_nanos(latency.percentile(0.999)).c_str());
  std::printf("answers        %llu memory hits, %llu store hits, %llu failed\n",
              static_cast<unsigned long long>(t.memory_hits),
              static_cast<unsigned long long>(t.store_hits),
              static_cast<unsigned long long>(t.failed));
  std::printf("origin calls   %llu (%.2f per 1,000 gets)\n",
              static_cast<unsigned long long>(t.fetches), per_1000);
  std::printf("waits          %llu single-flight, %llu lease\n",
              static_cast<unsigned long long>(t.single_flight_waits),
              static_cast<unsigned long long>(t.lease_waits));
  std::printf("cpu            %.2f s (%.2f cores)\n", static_cast<double>(t.cpu_micros) / 1e6,
              r.seconds > 0 ? static_cast<double>(t.cpu_micros) / 1e6 / r.seconds : 0);
  std::printf("peak memory    %s (largest process)\n", human_bytes(t.peak_rss_kb * 1024).c_str());
}

void print_json(const BenchSettings& s, const RunResult& r) {
  const auto& t = r.total;
  LatencyHistogram latency;
  latency.set_counts(t.latency);
  std::printf(
      "{\"store\":\"%s\",\"processes\":%d,\"threads\":%d,\"size\":%llu,\"keys\":%llu,"
      "\"zipf\":%.3f,\"hit_ratio\":%.3f,\"origin_delay_ms\":%lld,\"seconds\":%.3f,"
      "\"gets\":%llu,\"gets_per_s\":%.1f,\"p50_ns\":%llu,\"p99_ns\":%llu,\"p999_ns\":%llu,"
      "\"memory_hits\":%llu,\"store_hits\":%llu,\"failed\":%llu,\"origin_calls\":%llu,"
      "\"single_flight_waits\":%llu,\"lease_waits\":%llu,\"cpu_s\":%.3f,\"peak_rss_kb\":%llu}\n",
      store_name(s).c_str(), s.processes, s.threads, static_cast<unsigned long long>(s.size),
      static_cast<unsigned long long>(s.keys), s.zipf, s.hit_ratio,
      static_cast<long long>(s.origin_delay_ms), r.seconds, static_cast<unsigned long long>(t.gets),
      r.seconds > 0 ? static_cast<double>(t.gets) / r.seconds : 0.0,
      static_cast<unsigned long long>(latency.percentile(0.50)),
      static_cast<unsigned long long>(latency.percentile(0.99)),
      static_cast<unsigned long long>(latency.percentile(0.999)),
      static_cast<unsigned long long>(t.memory_hits), static_cast<unsigned long long>(t.store_hits),
      static_cast<unsigned long long>(t.failed), static_cast<unsigned long long>(t.fetches),
      static_cast<unsigned long long>(t.single_flight_waits),
      static_cast<unsigned long long>(t.lease_waits), static_cast<double>(t.cpu_micros) / 1e6,
      static_cast<unsigned long long>(t.peak_rss_kb));
}

struct BenchCommand {
  BenchSettings settings;
  bool json = false;
  bool no_warmup = false;
  bool no_progress = false;
};

int run_bench(BenchCommand& cmd) {
  BenchSettings& s = cmd.settings;
  s.warmup = !cmd.no_warmup;
  s.progress = !cmd.no_progress && !cmd.json && isatty(STDERR_FILENO) == 1;
  std::unique_ptr<StartedOrigin> origin;
  if (s.origin_url.empty()) {
    auto started = StartedOrigin::start();
    if (!started) return fail(started.status());
    origin = std::move(started).value();
    s.origin_url = origin->url();
  }
  while (!s.origin_url.empty() && s.origin_url.back() == '/') s.origin_url.pop_back();
  auto result = bench::run_load(s);
  if (!result) return fail(result.status());
  if (cmd.json) {
    print_json(s, *result);
  } else {
    print_table(s, *result);
  }
  return result->total.gets > 0 ? 0 : 1;
}

}  // namespace

void register_bench(CLI::App& app) {
  auto cmd = std::make_shared<BenchCommand>();
  CLI::App* sub = app.add_subcommand(
      "bench",
      "Load-test the cache end to end against the origin server; prints throughput, "
      "latency percentiles and origin calls");
  add_store_options(sub, cmd->settings.store, /*with_key=*/true);
  sub->add_option("--origin", cmd->settings.origin_url,
                  "base URL of a running cachedata_origin (default: start one)");
  sub->add_option("--size", cmd->settings.size, "bytes of each answer")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, uint64_t{64} << 20));
  sub->add_option("--keys", cmd->settings.keys, "popular entries")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}));
  sub->add_option("--zipf", cmd->settings.zipf,
                  "Zipf exponent of the keys' popularity (0: uniform)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 5.0));
  sub->add_option("--hit-ratio", cmd->settings.hit_ratio,
                  "share of gets for a popular entry; the rest ask for new ones (misses)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--threads", cmd->settings.threads, "threads (per process)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  sub->add_option("--processes", cmd->settings.processes,
                  "worker processes, each with its own Cache (0: threads in this process)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  sub->add_option("--origin-delay", cmd->settings.origin_delay_ms,
                  "milliseconds the origin takes to answer")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{600'000}));
  sub->add_option("--duration", cmd->settings.duration_s, "seconds of the timed run")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 86400.0));
  sub->add_option("--ttl", cmd->settings.ttl_s, "seconds an answer stays fresh")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{86400 * 365}));
  sub->add_flag("--no-warmup", cmd->no_warmup,
                "do not fetch every popular entry once before the timed run");
  sub->add_flag("--no-progress", cmd->no_progress, "no progress line on a terminal");
  sub->add_flag("--json", cmd->json, "one JSON object instead of the table");
  sub->callback([cmd] { throw CLI::RuntimeError(run_bench(*cmd)); });
}

}  // namespace cachedata::cli
