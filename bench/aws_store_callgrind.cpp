// Instruction counts of a 1 KB hit from the shared store next to the bare GetItem it wraps: the
// same loops as bench_aws_store.cpp (BM_BareGetItem, BM_AwsStoreGet, BM_CacheGetAwsHit) with a
// fixed call count, for callgrind, which counts the client's own instructions exactly where wall
// time on a shared 2-core machine (with DynamoDB Local on the other core) does not:
//
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out --toggle-collect='*measured_*'
//     build/release/bench/cachedata_aws_callgrind 2000      (one command line)
//   callgrind_annotate --inclusive=yes /tmp/cg.out | grep measured_   # Ir / calls = per call
//
// Needs the servers' endpoints in the environment (scripts/test-servers.sh exports). Every loop
// first makes 50 unmeasured calls. With "large" as a second argument it also runs the 20 MB
// loops (bare GetObject, Cache::get hit; JSON-like and random), `calls / 200` times each, at
// least 2 — under valgrind, SHA-256 runs without SHA-NI, so those counts overstate hashing.
#include <cstdio>
#include <cstring>
#include <string>

#include "aws_bench_env.hpp"
#include "bare_aws_request.hpp"

namespace {

using namespace cachedata;
using bench::AwsBenchEnv;
using bench::BareAwsRequest;
using bench::Payload;

constexpr int kWarmup = 50;

__attribute__((noinline)) int measured_bare_get_item(BareAwsRequest& ddb, const AwsBenchEnv& env,
                                                     const std::string& id, int n) {
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += ddb.get_item(env.table, id) != 200;
  return bad;
}

__attribute__((noinline)) int measured_store_get(Store& store, const std::string& id, int n) {
  int bad = 0;
  for (int i = 0; i < n; ++i) {
    auto got = store.get(id);
    bad += !got || !got->has_value();
  }
  return bad;
}

int cache_hits(AwsBenchEnv& env, Payload p, int n) {
  const Profile profile = bench::bench_profile();
  const Request request = bench::payload_request(p);
  Fetcher fetcher = [](const Request&, const Validators&) { return Response::failure("no"); };
  int bad = 0;
  for (int i = 0; i < n; ++i) {
    GetResult r = env.cache->get(profile, request, fetcher);
    bad += r.source() != DataSource::kCache || r.body().size() != bench::payload_size(p);
  }
  return bad;
}

__attribute__((noinline)) int measured_cache_hit_1kb(AwsBenchEnv& env, int n) {
  return cache_hits(env, Payload::kSmallJson, n);
}

int bare_objects(BareAwsRequest& s3, const AwsBenchEnv& env, Payload p, int n) {
  const std::string key = "cache/" + env.id_of(p);
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += s3.get_object(env.bucket, key) != 200;
  return bad;
}

__attribute__((noinline)) int measured_bare_get_object_json(BareAwsRequest& s3,
                                                            const AwsBenchEnv& env, int n) {
  return bare_objects(s3, env, Payload::kLargeJson, n);
}
__attribute__((noinline)) int measured_bare_get_object_random(BareAwsRequest& s3,
                                                              const AwsBenchEnv& env, int n) {
  return bare_objects(s3, env, Payload::kLargeRandom, n);
}
__attribute__((noinline)) int measured_cache_hit_20mb_json(AwsBenchEnv& env, int n) {
  return cache_hits(env, Payload::kLargeJson, n);
}
__attribute__((noinline)) int measured_cache_hit_20mb_random(AwsBenchEnv& env, int n) {
  return cache_hits(env, Payload::kLargeRandom, n);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  const bool large = argc > 2 && std::strcmp(argv[2], "large") == 0;
  if (std::string why = bench::missing_servers(); !why.empty()) {
    std::fprintf(stderr, "aws callgrind: skipped: %s\n", why.c_str());
    return 2;
  }
  AwsBenchEnv env;
  std::string why = env.create("cachedata-callgrind-" + std::to_string(::getpid()));
  if (why.empty()) why = env.warm(Payload::kSmallJson);
  if (why.empty() && large) why = env.warm(Payload::kLargeJson);
  if (why.empty() && large) why = env.warm(Payload::kLargeRandom);
  if (!why.empty()) {
    std::fprintf(stderr, "aws callgrind: setup: %s\n", why.c_str());
    return 1;
  }
  BareAwsRequest ddb(::getenv("CACHEDATA_TEST_DYNAMODB_ENDPOINT"), "dynamodb");
  BareAwsRequest s3(::getenv("CACHEDATA_TEST_S3_ENDPOINT"), "s3");
  const std::string id = env.id_of(Payload::kSmallJson);
  Store& store = *env.store;

  int bad = 0;
  measured_bare_get_item(ddb, env, id, kWarmup);
  bad += measured_bare_get_item(ddb, env, id, n);
  measured_store_get(store, id, kWarmup);
  bad += measured_store_get(store, id, n);
  cache_hits(env, Payload::kSmallJson, kWarmup);
  bad += measured_cache_hit_1kb(env, n);
  if (large) {
    const int m = std::max(2, n / 200);
    bare_objects(s3, env, Payload::kLargeJson, 1);
    bad += measured_bare_get_object_json(s3, env, m);
    bare_objects(s3, env, Payload::kLargeRandom, 1);
    bad += measured_bare_get_object_random(s3, env, m);
    cache_hits(env, Payload::kLargeJson, 1);
    bad += measured_cache_hit_20mb_json(env, m);
    cache_hits(env, Payload::kLargeRandom, 1);
    bad += measured_cache_hit_20mb_random(env, m);
    std::printf("large loops: %d calls each\n", m);
  }
  std::printf("%d calls per 1 KB loop, %d bad answers\n", n, bad);
  return bad == 0 ? 0 : 1;
}
