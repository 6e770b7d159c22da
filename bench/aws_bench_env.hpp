// The shared store of the AWS benchmarks, on the local servers of scripts/test-servers.sh
// (DynamoDB Local and s3rver, endpoints in CACHEDATA_TEST_DYNAMODB_ENDPOINT /
// CACHEDATA_TEST_S3_ENDPOINT): a table and a bucket of this process, a Cache on them with the
// memory tier off (every get reads the store), and the three entries the benchmarks read — 1 KB
// of JSON-like text (inline in its DynamoDB item), 20 MB of JSON-like text and 20 MB of random
// bytes (in S3, behind a pointer item). Built once per process on first use; not thread-safe
// (benchmarks run on one thread). Tables and buckets are left behind: the servers' data dies
// with them.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "aws/aws_endpoints.hpp"
#include "aws/dynamodb_client.hpp"
#include "aws/s3_client.hpp"
#include "cachedata/cache.hpp"
#include "open/open_cache.hpp"

namespace cachedata::bench {

enum class Payload { kSmallJson, kLargeJson, kLargeRandom };

inline const char* payload_name(Payload p) {
  switch (p) {
    case Payload::kSmallJson:
      return "1 KB JSON";
    case Payload::kLargeJson:
      return "20 MB JSON";
    case Payload::kLargeRandom:
      return "20 MB random";
  }
  return "?";
}

inline size_t payload_size(Payload p) {
  return p == Payload::kSmallJson ? size_t{1} << 10 : size_t{20} << 20;
}

// The same JSON-like text as bench_main.cpp (compressible like API answers, but not trivially),
// or incompressible bytes (what zstd cannot shrink: the envelope stores it uncompressed).
inline std::string payload_bytes(Payload p) {
  const size_t bytes = payload_size(p);
  std::string out;
  out.reserve(bytes + 64);
  uint32_t x = 2463534242u;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  if (p == Payload::kLargeRandom) {
    out.resize(bytes);
    for (size_t i = 0; i + 4 <= bytes; i += 4) {
      const uint32_t v = next();
      std::memcpy(out.data() + i, &v, 4);
    }
    return out;
  }
  while (out.size() < bytes) {
    const uint32_t v = next();
    out += "{\"id\":" + std::to_string(v % 100000) + ",\"name\":\"item-" + std::to_string(v) +
           "\",\"price\":" + std::to_string((v >> 7) % 10000) + "},";
  }
  out.resize(bytes);
  return out;
}

// Why the benchmarks cannot run, or empty when both endpoints are set.
inline std::string missing_servers() {
  const char* ddb = ::getenv("CACHEDATA_TEST_DYNAMODB_ENDPOINT");
  const char* s3 = ::getenv("CACHEDATA_TEST_S3_ENDPOINT");
  if (ddb != nullptr && *ddb != '\0' && s3 != nullptr && *s3 != '\0') return {};
  return "CACHEDATA_TEST_DYNAMODB_ENDPOINT / CACHEDATA_TEST_S3_ENDPOINT not set: run "
         "scripts/test-servers.sh start && eval \"$(scripts/test-servers.sh exports)\"";
}

// What a Cache needs to reach the local servers: static dummy credentials (letters and digits
// only, as DynamoDB Local wants), path-style S3 addressing.
inline AwsOptions local_aws_options() {
  AwsOptions o;
  o.region = "us-east-1";
  o.dynamodb_endpoint = ::getenv("CACHEDATA_TEST_DYNAMODB_ENDPOINT");
  o.s3_endpoint = ::getenv("CACHEDATA_TEST_S3_ENDPOINT");
  o.s3_force_path_style = true;
  o.access_key_id = "AKIDCACHEDATABENCH";
  o.secret_access_key = "bench-secret-key";
  return o;
}

// The payloads' request: one URL per payload, so each lives under its own id.
inline Request payload_request(Payload p) {
  static const char* kPaths[] = {"small-json", "large-json", "large-random"};
  return Request::get(std::string("https://api.example.com/v1/bench/") +
                      kPaths[static_cast<int>(p)]);
}

// A day: no entry expires during a run (the default 5 min could, in a long one).
inline Profile bench_profile() {
  Profile p;
  p.ttl = std::chrono::hours(24);
  return p;
}

struct AwsBenchEnv {
  std::string table;
  std::string bucket;
  DataKey key = DataKey::generate();
  std::unique_ptr<Cache> cache;  // store kAws, memory tier off
  std::shared_ptr<Store> store;  // the one the cache was opened on

  Config config() const {
    Config c;
    c.store = Config::StoreKind::kAws;
    c.dynamodb_table = table;
    c.s3_bucket = bucket;
    c.aws = local_aws_options();
    c.keys = {key};
    c.memory_max_bytes = 0;  // every get reads the shared store
    c.log_level = LogLevel::kOff;
    return c;
  }

  // The request id of `p`'s entry (its item's id_hash; its object is cache/<id>).
  std::string id_of(Payload p) const {
    return cache->id_of(bench_profile(), payload_request(p)).value();
  }

  // Stores `p` through the cache (a miss: the fetcher answers). Empty, or what went wrong.
  std::string warm(Payload p) {
    auto body = std::make_shared<const std::string>(payload_bytes(p));
    Fetcher fetcher = [&](const Request&, const Validators&) {
      Response r;
      r.status_code = 200;
      r.headers.add("Content-Type", "application/json");
      r.body = *body;
      return r;
    };
    GetResult first = cache->get(bench_profile(), payload_request(p), fetcher);
    if (!first.ok()) return first.error();
    GetResult hit = cache->get(bench_profile(), payload_request(p), fetcher);
    if (hit.source() != DataSource::kCache || hit.body() != *body) {
      return std::string("the second get of ") + payload_name(p) + " was not a store hit (" +
             std::string(hit.source_name()) + ")";
    }
    return {};
  }

  // DynamoDB Local runs on the JVM: its first thousand requests are several times slower than
  // the next ones (JIT). Hits of every entry for a few seconds, so that no benchmark measures
  // the warm-up.
  void warm_up_servers() {
    Fetcher fetcher = [](const Request&, const Validators&) {
      return Response::failure("warm-up");
    };
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (std::chrono::steady_clock::now() < until) {
      for (int i = 0; i < 50; ++i) {
        (void)cache->get(bench_profile(), payload_request(Payload::kSmallJson), fetcher);
      }
      (void)cache->get(bench_profile(), payload_request(Payload::kLargeJson), fetcher);
      (void)cache->get(bench_profile(), payload_request(Payload::kLargeRandom), fetcher);
    }
  }

  // Creates the table and bucket and opens the cache on them. Empty, or what went wrong.
  std::string create(const std::string& name) {
    table = name;
    bucket = name;
    auto ddb_config = aws::resolve_client_config(aws::Service::kDynamoDb, local_aws_options());
    auto s3_config = aws::resolve_client_config(aws::Service::kS3, local_aws_options());
    if (!ddb_config) return "client config: " + ddb_config.status().to_string();
    if (!s3_config) return "client config: " + s3_config.status().to_string();
    aws::DynamoDbClient ddb(*ddb_config);
    aws::S3Client s3(*s3_config);
    aws::TableSpec spec;
    spec.name = table;
    spec.hash_key = "id_hash";
    if (auto t = ddb.create_table(spec); !t) return t.status().to_string();
    if (Status s = ddb.wait_until_active(table, std::chrono::seconds(20)); !s) return s.to_string();
    if (auto b = s3.create_bucket(bucket); !b) return b.status().to_string();
    auto parts = wiring::open_cache_parts(config());
    if (!parts) return parts.status().to_string();
    store = parts->store;
    auto opened = Cache::open(config(), std::move(parts).value());
    if (!opened) return opened.status().to_string();
    cache = std::move(opened).value();
    return {};
  }

  // Reopens the cache on an existing table and bucket (another process created them).
  std::string attach(const std::string& name, const DataKey& k) {
    table = name;
    bucket = name;
    key = k;
    auto parts = wiring::open_cache_parts(config());
    if (!parts) return parts.status().to_string();
    store = parts->store;
    auto opened = Cache::open(config(), std::move(parts).value());
    if (!opened) return opened.status().to_string();
    cache = std::move(opened).value();
    return {};
  }
};

// The process's environment with every payload stored, or nullptr and `why`.
inline AwsBenchEnv* shared_env(std::string* why) {
  static std::string problem;
  static std::unique_ptr<AwsBenchEnv> env = [] {
    problem = missing_servers();
    if (!problem.empty()) return std::unique_ptr<AwsBenchEnv>();
    auto e = std::make_unique<AwsBenchEnv>();
    problem = e->create("cachedata-bench-" + std::to_string(::getpid()));
    for (Payload p : {Payload::kSmallJson, Payload::kLargeJson, Payload::kLargeRandom}) {
      if (problem.empty()) problem = e->warm(p);
    }
    if (!problem.empty()) return std::unique_ptr<AwsBenchEnv>();
    e->warm_up_servers();
    return e;
  }();
  if (!env) *why = problem;
  return env.get();
}

}  // namespace cachedata::bench
