// The shared store (DynamoDB + S3) next to the bare requests it wraps, against DynamoDB Local and
// s3rver on 127.0.0.1 (scripts/test-servers.sh), in the same run:
//   - 1 KB entry, inline in its item: a bare signed GetItem of that item, vs Store::get of the
//     AWS store (GetItem + JSON + base64) and a whole Cache::get hit with the memory tier off
//     (request id + Store::get + opening the envelope);
//   - 20 MB entry in S3 (JSON-like text, and incompressible bytes): a bare signed GetObject of
//     its object, and the two bare requests a hit needs (GetItem, then GetObject), vs Store::get
//     (+ SHA-256 check of the object), Store::get then opening the envelope after the last byte,
//     Store::get_streaming opening it as it arrives (what the cache does), and a whole Cache::get
//     hit; and the S3 client's GetObject with that SHA-256 computed as the body arrives vs in a
//     second pass.
//   - reading a GetItem answer (1.8 KB, a 1400-character base64 body): the client's read_json
//     (RapidJSON) vs nlohmann::json::parse, without servers.
// Every other benchmark skips with a message when the servers' endpoints are not in the
// environment.
// Wall time: most of a call is the servers' and the loopback's.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "aws/json_reader.hpp"
#include "aws_bench_env.hpp"
#include "bare_aws_request.hpp"
#include "core/envelope.hpp"
#include "core/envelope_stream.hpp"
#include "crypto/keyring.hpp"
#include "crypto/sha256.hpp"

namespace {

using namespace cachedata;
using bench::AwsBenchEnv;
using bench::BareAwsRequest;
using bench::Payload;

AwsBenchEnv* env_or_skip(benchmark::State& state) {
  std::string why;
  AwsBenchEnv* env = bench::shared_env(&why);
  if (env == nullptr) state.SkipWithError(why.c_str());
  return env;
}

void check_size(benchmark::State& state, size_t got, size_t want) {
  if (got != want) {
    state.SkipWithError(
        ("got " + std::to_string(got) + " bytes, want " + std::to_string(want)).c_str());
  }
}

// One kept-alive connection per service for the bare requests of the whole run, like the
// cache's per-thread handle.
BareAwsRequest& bare_dynamodb() {
  static BareAwsRequest r(::getenv("CACHEDATA_TEST_DYNAMODB_ENDPOINT"), "dynamodb");
  return r;
}
BareAwsRequest& bare_s3() {
  static BareAwsRequest r(::getenv("CACHEDATA_TEST_S3_ENDPOINT"), "s3");
  return r;
}

void BM_BareGetItem(benchmark::State& state, Payload p) {
  AwsBenchEnv* env = env_or_skip(state);
  if (env == nullptr) return;
  const std::string id = env->id_of(p);
  BareAwsRequest& ddb = bare_dynamodb();
  if (ddb.get_item(env->table, id) != 200) state.SkipWithError("GetItem failed");
  for (auto _ : state) {
    if (ddb.get_item(env->table, id) != 200) state.SkipWithError("GetItem failed");
    benchmark::DoNotOptimize(ddb.body.data());
  }
  state.counters["answer_bytes"] = static_cast<double>(ddb.body.size());
}
BENCHMARK_CAPTURE(BM_BareGetItem, 1KB, Payload::kSmallJson)->UseRealTime();

// Reading a GetItem answer (no servers needed): the client's read_json next to
// nlohmann::json::parse, on a 1.8 KB answer of an item with a 1400-character base64 body. read_json
// parses in situ, so each iteration first copies the answer (the client's body is not kept).
std::string dynamodb_answer() {
  std::string base64;
  for (uint32_t x = 2463534242u; base64.size() < 1400;) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    base64 += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[x % 64];
  }
  return R"({"Item":{"expires":{"N":"1800000000"},"id_hash":{"S":")" + std::string(64, 'a') +
         R"("},"head":{"B":")" + base64.substr(0, 200) + R"("},"body":{"B":")" + base64 +
         R"("},"purge_ts":{"N":"1800086400"}},"ConsumedCapacity":{"CapacityUnits":0.5,)"
         R"("TableName":"cachedata-entries"}})";
}

void BM_NlohmannJsonParseDynamoDbAnswer(benchmark::State& state) {
  const std::string answer = dynamodb_answer();
  for (auto _ : state) {
    benchmark::DoNotOptimize(nlohmann::json::parse(answer, nullptr, false));
  }
  state.counters["answer_bytes"] = static_cast<double>(answer.size());
}
BENCHMARK(BM_NlohmannJsonParseDynamoDbAnswer);

void BM_ReadJsonDynamoDbAnswer(benchmark::State& state) {
  const std::string answer = dynamodb_answer();
  for (auto _ : state) {
    std::string text = answer;
    benchmark::DoNotOptimize(aws::read_json(text));
  }
  state.counters["answer_bytes"] = static_cast<double>(answer.size());
}
BENCHMARK(BM_ReadJsonDynamoDbAnswer);

// The object alone (the brief's reference), and the item then the object (what a hit must do).
void BM_BareGetObject(benchmark::State& state, Payload p, bool with_item) {
  AwsBenchEnv* env = env_or_skip(state);
  if (env == nullptr) return;
  const std::string id = env->id_of(p);
  const std::string key = "cache/" + id;
  BareAwsRequest& ddb = bare_dynamodb();
  BareAwsRequest& s3 = bare_s3();
  if (s3.get_object(env->bucket, key) != 200) state.SkipWithError("GetObject failed");
  const size_t object_bytes = s3.body.size();
  for (auto _ : state) {
    if (with_item && ddb.get_item(env->table, id) != 200) state.SkipWithError("GetItem failed");
    if (s3.get_object(env->bucket, key) != 200) state.SkipWithError("GetObject failed");
    benchmark::DoNotOptimize(s3.body.data());
  }
  check_size(state, s3.body.size(), object_bytes);
  state.counters["object_bytes"] = static_cast<double>(object_bytes);
}
BENCHMARK_CAPTURE(BM_BareGetObject, 20MB_json, Payload::kLargeJson, false)->UseRealTime();
BENCHMARK_CAPTURE(BM_BareGetObject, 20MB_random, Payload::kLargeRandom, false)->UseRealTime();
BENCHMARK_CAPTURE(BM_BareGetObject, 20MB_json_with_item, Payload::kLargeJson, true)->UseRealTime();
BENCHMARK_CAPTURE(BM_BareGetObject, 20MB_random_with_item, Payload::kLargeRandom, true)
    ->UseRealTime();

// The S3 client's GetObject with the SHA-256 check the store makes: computed while the body
// arrives (what the store does) or in a second pass after it (what it did before).
void BM_S3ClientGetObjectSha256(benchmark::State& state, Payload p, bool streamed) {
  AwsBenchEnv* env = env_or_skip(state);
  if (env == nullptr) return;
  const std::string key = "cache/" + env->id_of(p);
  auto config = aws::resolve_client_config(aws::Service::kS3, bench::local_aws_options());
  if (!config) {
    state.SkipWithError(config.status().to_string().c_str());
    return;
  }
  const aws::S3Client s3(*config);
  aws::GetObjectOptions options;
  options.sha256 = streamed;
  for (auto _ : state) {
    auto object = s3.get_object(env->bucket, key, options);
    if (!object) {
      state.SkipWithError(object.status().to_string().c_str());
      break;
    }
    const crypto::Digest digest = streamed ? *object->sha256 : crypto::sha256(object->body);
    benchmark::DoNotOptimize(digest);
  }
}
BENCHMARK_CAPTURE(BM_S3ClientGetObjectSha256, 20MB_random_streamed, Payload::kLargeRandom, true)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_S3ClientGetObjectSha256, 20MB_random_after, Payload::kLargeRandom, false)
    ->UseRealTime();

// Store::get: the sealed parts, as the cache receives them (nothing opened).
void BM_AwsStoreGet(benchmark::State& state, Payload p) {
  AwsBenchEnv* env = env_or_skip(state);
  if (env == nullptr) return;
  const std::string id = env->id_of(p);
  Store& store = *env->store;
  for (auto _ : state) {
    auto got = store.get(id);
    if (!got || !got->has_value()) state.SkipWithError("not in the store");
    benchmark::DoNotOptimize(got);
  }
}
BENCHMARK_CAPTURE(BM_AwsStoreGet, 1KB, Payload::kSmallJson)->UseRealTime();
BENCHMARK_CAPTURE(BM_AwsStoreGet, 20MB_json, Payload::kLargeJson)->UseRealTime();
BENCHMARK_CAPTURE(BM_AwsStoreGet, 20MB_random, Payload::kLargeRandom)->UseRealTime();

// Store::get + opening the envelope: the cache's store path without the request id.
void BM_AwsStoreGetOpen(benchmark::State& state, Payload p) {
  AwsBenchEnv* env = env_or_skip(state);
  if (env == nullptr) return;
  const std::string id = env->id_of(p);
  Store& store = *env->store;
  const crypto::Keyring keys({env->key}, "default");
  for (auto _ : state) {
    auto got = store.get(id);
    if (!got || !got->has_value()) {
      state.SkipWithError("not in the store");
      break;
    }
    auto entry = core::open_entry((*got)->head, std::move((*got)->body), id, keys);
    if (!entry) state.SkipWithError(entry.status().to_string().c_str());
    benchmark::DoNotOptimize(entry);
  }
}
BENCHMARK_CAPTURE(BM_AwsStoreGetOpen, 1KB, Payload::kSmallJson)->UseRealTime();
BENCHMARK_CAPTURE(BM_AwsStoreGetOpen, 20MB_json, Payload::kLargeJson)->UseRealTime();
BENCHMARK_CAPTURE(BM_AwsStoreGetOpen, 20MB_random, Payload::kLargeRandom)->UseRealTime();

// Store::get_streaming with the opener the cache uses: the S3 body decrypted (and inflated) as it
// arrives instead of after its last byte.
void BM_AwsStoreGetStreamingOpen(benchmark::State& state, Payload p) {
  AwsBenchEnv* env = env_or_skip(state);
  if (env == nullptr) return;
  const std::string id = env->id_of(p);
  Store& store = *env->store;
  const crypto::Keyring keys({env->key}, "default");
  for (auto _ : state) {
    core::EntryStreamOpener opener(id, keys);
    auto got = store.get_streaming(id, opener);
    if (!got || !got->has_value() || !opener.began()) {
      state.SkipWithError("not streamed from the store");
      break;
    }
    auto entry = opener.finish();
    if (!entry) state.SkipWithError(entry.status().to_string().c_str());
    benchmark::DoNotOptimize(entry);
  }
}
BENCHMARK_CAPTURE(BM_AwsStoreGetStreamingOpen, 20MB_json, Payload::kLargeJson)->UseRealTime();
BENCHMARK_CAPTURE(BM_AwsStoreGetStreamingOpen, 20MB_random, Payload::kLargeRandom)->UseRealTime();

// The whole get, served by the shared store (memory tier off).
void BM_CacheGetAwsHit(benchmark::State& state, Payload p) {
  AwsBenchEnv* env = env_or_skip(state);
  if (env == nullptr) return;
  const Profile profile = bench::bench_profile();
  const Request request = bench::payload_request(p);
  Fetcher fetcher = [](const Request&, const Validators&) {
    return Response::failure("the benchmark expects a hit");
  };
  for (auto _ : state) {
    GetResult r = env->cache->get(profile, request, fetcher);
    if (r.source() != DataSource::kCache) {
      state.SkipWithError(("not a store hit: " + std::string(r.source_name())).c_str());
    }
    benchmark::DoNotOptimize(r);
  }
  check_size(state, env->cache->get(profile, request, fetcher).body().size(),
             bench::payload_size(p));
}
BENCHMARK_CAPTURE(BM_CacheGetAwsHit, 1KB, Payload::kSmallJson)->UseRealTime();
BENCHMARK_CAPTURE(BM_CacheGetAwsHit, 20MB_json, Payload::kLargeJson)->UseRealTime();
BENCHMARK_CAPTURE(BM_CacheGetAwsHit, 20MB_random, Payload::kLargeRandom)->UseRealTime();

}  // namespace
