// Peak memory of one 20 MB hit served by the shared store (target: ≤ 1.5× the payload), against
// DynamoDB Local and s3rver (scripts/test-servers.sh; endpoints from the environment):
//
//   build/release/bench/cachedata_aws_peak_memory
//
// The parent creates a table and a bucket, stores a 20 MB JSON-like entry and a 20 MB random
// (incompressible) one through a Cache, then runs each measurement in a fresh process of its own
// (this program again, with --hit), so that nothing the writes allocated is still resident or
// counted: the child opens the same cache, does one small hit (libraries, connection, contexts
// set up), returns freed memory to the system, resets its peak RSS (VmHWM, by writing 5 to
// /proc/self/clear_refs), does one 20 MB hit and keeps its result, and reads VmHWM again. The
// growth is what the hit needed at its peak, the body it returns included. A bare GetObject of
// the same object is measured the same way as the reference.
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "aws_bench_env.hpp"
#include "bare_aws_request.hpp"

extern char** environ;

namespace {

using namespace cachedata;
using bench::AwsBenchEnv;
using bench::Payload;

// A field of /proc/self/status in bytes ("VmHWM", "VmRSS"); -1 when absent.
long long status_bytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stoll(line.substr(prefix.size())) * 1024;
  }
  return -1;
}

bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

double mib(long long bytes) {
  return static_cast<double>(bytes) / (1 << 20);
}

// The child: one measured hit of `p` (mode "cache" or "bare"). Prints one result line.
int measure(const std::string& mode, Payload p, const std::string& name, const DataKey& key) {
  AwsBenchEnv env;
  if (std::string why = env.attach(name, key); !why.empty()) {
    std::fprintf(stderr, "peak memory: %s\n", why.c_str());
    return 1;
  }
  const Profile profile = bench::bench_profile();
  Fetcher fetcher = [](const Request&, const Validators&) {
    return Response::failure("a hit was expected");
  };
  bench::BareAwsRequest s3(::getenv("CACHEDATA_TEST_S3_ENDPOINT"), "s3");
  const std::string key_of_object = "cache/" + env.id_of(p);
  const std::string key_of_small = "cache/" + env.id_of(Payload::kSmallJson);
  // Everything but the measured transfer set up first: code paged in, connection open,
  // thread-local contexts created.
  if (mode == "cache") {
    if (env.cache->get(profile, bench::payload_request(Payload::kSmallJson), fetcher).source() !=
        DataSource::kCache) {
      std::fprintf(stderr, "peak memory: the 1 KB warm-up was not a store hit\n");
      return 1;
    }
  } else {
    s3.get_object(env.bucket, key_of_small);  // a 404 does it as well
    s3.body = std::string();
  }
  ::malloc_trim(0);
  const long long rss_before = status_bytes("VmRSS");
  if (!reset_peak()) {
    std::fprintf(stderr, "peak memory: cannot write /proc/self/clear_refs\n");
    return 1;
  }
  const long long hwm_before = status_bytes("VmHWM");

  size_t body_bytes = 0;
  GetResult result;  // kept until after the reading: the body is part of the peak
  if (mode == "cache") {
    result = env.cache->get(profile, bench::payload_request(p), fetcher);
    if (result.source() != DataSource::kCache) {
      std::fprintf(stderr, "peak memory: not a store hit (%s)\n", result.error().c_str());
      return 1;
    }
    body_bytes = result.body().size();
  } else {
    if (s3.get_object(env.bucket, key_of_object) != 200) {
      std::fprintf(stderr, "peak memory: bare GetObject failed\n");
      return 1;
    }
    body_bytes = s3.body.size();
  }
  const long long hwm_after = status_bytes("VmHWM");
  const long long growth = hwm_after - hwm_before;
  const size_t payload = bench::payload_size(p);
  std::printf(
      "%-13s %-5s body %8.2f MiB  RSS before %6.1f MiB  peak growth %6.2f MiB  = %.2fx the "
      "payload\n",
      bench::payload_name(p), mode.c_str(), mib(static_cast<long long>(body_bytes)),
      mib(rss_before), mib(growth), static_cast<double>(growth) / payload);
  return body_bytes == 0 ? 1 : 0;
}

int run_child(const char* self, const std::string& mode, Payload p, const std::string& name,
              const DataKey& key) {
  const std::string kind = std::to_string(static_cast<int>(p));
  ::setenv("CACHEDATA_BENCH_KEY", key.to_hex().c_str(), 1);  // not on the command line
  const char* argv[] = {self, "--hit", mode.c_str(), kind.c_str(), name.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, self, nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    std::fprintf(stderr, "peak memory: cannot start %s\n", self);
    return 1;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "--hit") == 0) {
    const char* hex = ::getenv("CACHEDATA_BENCH_KEY");
    auto key = DataKey::from_hex(hex != nullptr ? hex : "");
    if (!key) return 1;
    return measure(argv[2], static_cast<Payload>(std::stoi(argv[3])), argv[4], *key);
  }
  if (std::string why = bench::missing_servers(); !why.empty()) {
    std::fprintf(stderr, "peak memory: skipped: %s\n", why.c_str());
    return 2;
  }
  AwsBenchEnv env;
  const std::string name = "cachedata-peak-" + std::to_string(::getpid());
  std::string why = env.create(name);
  for (Payload p : {Payload::kSmallJson, Payload::kLargeJson, Payload::kLargeRandom}) {
    if (why.empty()) why = env.warm(p);
  }
  if (!why.empty()) {
    std::fprintf(stderr, "peak memory: setup: %s\n", why.c_str());
    return 1;
  }
  int failures = 0;
  for (Payload p : {Payload::kLargeJson, Payload::kLargeRandom}) {
    for (const char* mode : {"bare", "cache"}) {
      failures += run_child("/proc/self/exe", mode, p, name, env.key) != 0;
    }
  }
  return failures == 0 ? 0 : 1;
}
